// The member rows of 登记新户: "添加成员" copies the formset's empty form, "移除" marks a row deleted.
(() => {
  const renumber = (list) => {
    let number = 0;
    for (const row of list.querySelectorAll("[data-member]")) {
      if (row.hidden) continue;
      number += 1;
      const label = row.querySelector("[data-member-number]");
      if (label) label.textContent = String(number);
    }
  };

  document.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-member]");
    if (add) {
      const form = add.closest("[data-member-formset]");
      const total = form.querySelector("input[name$='-TOTAL_FORMS']");
      const list = form.querySelector("[data-members]");
      const index = Number(total.value);
      const html = form.querySelector("template[data-member-template]").innerHTML.replaceAll("__prefix__", index);
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      const row = list.lastElementChild;
      if (window.htmx) window.htmx.process(row);
      renumber(list);
      row.querySelector("input:not([type=hidden])")?.focus();
      return;
    }
    const remove = event.target.closest("[data-remove-member]");
    if (remove) {
      const row = remove.closest("[data-member]");
      const deleted = row.querySelector("input[name$='-DELETE']");
      if (deleted) deleted.checked = true;
      row.hidden = true;
      renumber(row.closest("[data-members]"));
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    for (const list of document.querySelectorAll("[data-members]")) renumber(list);
  });
})();
