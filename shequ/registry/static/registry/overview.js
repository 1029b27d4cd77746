// 人口概况: each [data-chart] is drawn with ECharts from the figures the page carries as JSON (#overview-charts);
// the table under it holds the same numbers for screen readers, print and tests. Bars run sideways so that
// Chinese names stay level and whole on a phone; a chart is as tall as its bars need and follows the width
// of the page as the window changes.
(() => {
  const BAR_ROW = 30; // px a category takes
  const COLORS = ["#c0392b", "#2471a3", "#d68910", "#1e8449", "#7d3c98", "#17a589", "#a04000", "#5d6d7e",
    "#cb4335", "#2e86c1", "#f1c40f", "#229954"];

  const option = (data, labelWidth) => ({
    color: COLORS,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
    legend: { type: "scroll", top: 0 },
    grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.categories,
      axisLabel: { width: labelWidth, overflow: "truncate" } },
    // A sensitive figure the reader may not see is null: no bar, rather than a bar of 0.
    series: data.series.map((series) => ({ name: series.name, type: "bar", stack: "total", data: series.data,
      barMaxWidth: 22, emphasis: { focus: "series" } })),
  });

  const draw = () => {
    const source = document.getElementById("overview-charts");
    if (!source || !window.echarts) return;
    const charts = JSON.parse(source.textContent);
    for (const box of document.querySelectorAll("[data-chart]")) {
      const data = charts[box.dataset.chart];
      box.style.height = `${Math.max(200, 90 + data.categories.length * BAR_ROW)}px`;
      const chart = window.echarts.init(box);
      chart.setOption(option(data, box.clientWidth < 520 ? 96 : 200));
      new ResizeObserver(() => chart.resize()).observe(box);
    }
  };

  document.addEventListener("DOMContentLoaded", draw);
})();
