"""人口概况: the figures of the registry that people compare, one row (unit) per community of a street or per
grid of a community, with a totals line. Read in a fixed number of GROUP BY queries whatever the number of
units, through the same scoping as the resident list; the page's tables and charts, its xlsx and docx and
the API all show what registry_overview returns."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shequ.core.errors import NotFound
from shequ.core.scoping import scope_filter
from shequ.places.models import Community, Grid

from .choices import SENSITIVE_TAGS, HouseholdStatus, ResidenceStatus, ResidentStatus, Sex, TagKind
from .models import ResidentTag
from .permissions import reader_scope, sensitive_community_ids
from .selectors import household_queryset, resident_queryset, years_ago

# (key, label, youngest, oldest) in whole years as of today; 60+ and 80+ are the domain's care categories.
AGE_BANDS = [
    ("0_17", _("0–17岁"), 0, 17),
    ("18_59", _("18–59岁"), 18, 59),
    ("60_79", _("60–79岁"), 60, 79),
    ("80_plus", _("80岁及以上"), 80, None),
]


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass
class OverviewUnit:
    """One row: a community, a grid, the residents of a community without a grid ("ungridded"), or the
    totals ("total"). tags holds None for a sensitive kind the actor may not see in this unit."""

    kind: str
    id: int | None
    name: str
    community_id: int | None
    households: int = 0
    residents: int = 0
    male: int = 0
    female: int = 0
    age_bands: dict = field(default_factory=lambda: {band: 0 for band, *_rest in AGE_BANDS})
    residence_status: dict = field(default_factory=lambda: dict.fromkeys(ResidenceStatus.values, 0))
    tags: dict = field(default_factory=dict)

    @property
    def aged_60_plus(self):
        return self.age_bands["60_79"] + self.age_bands["80_plus"]

    @property
    def aged_80_plus(self):
        return self.age_bands["80_plus"]


@dataclass
class RegistryOverview:
    scope_label: str
    unit_kind: str  # "community" or "grid"
    community: Community | None  # the community whose grids are the units
    drilled_down: bool  # one community of a scope spanning several, asked for by the caller
    as_of: date
    age_bands: list[Column]
    residence_statuses: list[Column]
    tag_kinds: list[Column]  # sensitive kinds only where the actor may see them in at least one unit
    units: list[OverviewUnit]
    total: OverviewUnit

    @property
    def hides_sensitive(self):
        """Whether a sensitive figure is left out: its kind is not a column, or unknown (None) somewhere."""
        shown = {column.key for column in self.tag_kinds}
        return not SENSITIVE_TAGS.issubset(shown) or None in self.total.tags.values()


def registry_overview(actor, *, community_id=None):
    """The figures the actor may see: a unit per community of a scope spanning several, else a unit per grid
    of the one community (given, or the actor's only one), plus 未划网格 where residents have no grid. A
    community out of scope is "not found", like a missing one."""
    scope = reader_scope(actor)
    readable = scope.readable_community_ids
    if community_id is not None and community_id not in readable:
        raise NotFound("未找到该社区")
    if community_id is None and len(readable) != 1:
        return _by_community(actor, readable)
    return _by_grid(actor, scope, community_id or next(iter(readable)), drilled_down=len(readable) > 1)


def _by_community(actor, community_ids):
    communities = Community.objects.filter(id__in=community_ids).select_related("street").order_by("code")
    units = [OverviewUnit("community", c.id, c.name, c.id) for c in communities]
    label = "、".join(dict.fromkeys(c.street.name for c in communities))  # the street(s), in order, once each
    return _overview(actor, units, key="community_id", community_ids=community_ids, scope_label=label,
                     unit_kind="community", community=None, drilled_down=False)


def _by_grid(actor, scope, community_id, *, drilled_down):
    community = Community.objects.get(id=community_id)
    whole = community_id in scope.community_ids  # else a grid worker: only the grids of the membership
    grids = Grid.objects.filter(community_id=community_id).order_by("code")
    if not whole:
        grids = grids.filter(id__in=scope.grid_ids)
    units = [OverviewUnit("grid", g.id, g.name, community_id) for g in grids]
    label = community.name if whole else f"{community.name} · {'、'.join(u.name for u in units)}"
    if whole:  # kept only if someone there has no grid
        units.append(OverviewUnit("ungridded", None, gettext("未划网格"), community_id))
    return _overview(actor, units, key="grid_id", community_ids={community_id}, scope_label=label,
                     unit_kind="grid", community=community, drilled_down=drilled_down)


def _overview(actor, units, *, key, community_ids, **about):
    today = date.today()
    visible = sensitive_community_ids(actor)
    tag_kinds = [kind for kind in TagKind if kind not in SENSITIVE_TAGS
                 or any(unit.community_id in visible for unit in units)]
    by_key = {unit.id: unit for unit in units}
    _count_households(actor, by_key, key, community_ids)
    _count_residents(actor, by_key, key, community_ids, today)
    _count_tags(actor, by_key, key, community_ids, tag_kinds, visible)
    units = [u for u in units if u.kind != "ungridded" or u.households or u.residents]
    return RegistryOverview(
        **about, as_of=today, units=units, total=_total(units, tag_kinds),
        age_bands=[Column(band, str(label)) for band, label, *_ages in AGE_BANDS],
        residence_statuses=[Column(status.value, gettext(status.label)) for status in ResidenceStatus],
        tag_kinds=[Column(kind.value, gettext(kind.label)) for kind in tag_kinds])


def _grouped(queryset, key, community_ids, *also):
    """The rows of the units' communities, one group a unit (its id as `unit`; null for no grid) and of
    each value of the `also` columns."""
    return queryset.filter(community_id__in=community_ids).values(*also, unit=F(key)).order_by()


def _count_households(actor, by_key, key, community_ids):
    living = household_queryset(actor).filter(status=HouseholdStatus.LIVING)
    for row in _grouped(living, key, community_ids).annotate(households=Count("id")):
        if row["unit"] in by_key:
            by_key[row["unit"]].households = row["households"]


def _count_residents(actor, by_key, key, community_ids, today):
    present = resident_queryset(actor).filter(status=ResidentStatus.PRESENT)
    figures = {"residents": Count("id"), "male": Count("id", filter=Q(sex=Sex.MALE)),
               "female": Count("id", filter=Q(sex=Sex.FEMALE))}
    figures |= {f"age_{band}": Count("id", filter=_aged(youngest, oldest, today))
                for band, _label, youngest, oldest in AGE_BANDS}
    figures |= {f"residence_{status.value}": Count("id", filter=Q(residence_status=status))
                for status in ResidenceStatus}
    for row in _grouped(present, key, community_ids).annotate(**figures):
        unit = by_key.get(row["unit"])
        if unit is None:
            continue
        unit.residents, unit.male, unit.female = row["residents"], row["male"], row["female"]
        unit.age_bands = {band: row[f"age_{band}"] for band, *_rest in AGE_BANDS}
        unit.residence_status = {status.value: row[f"residence_{status.value}"] for status in ResidenceStatus}


def _aged(youngest, oldest, today):
    """Residents at least `youngest` and (unless None) at most `oldest` whole years old today."""
    condition = Q(birth_date__lte=years_ago(youngest, today))
    if oldest is not None:
        condition &= Q(birth_date__gt=years_ago(oldest + 1, today))
    return condition


def _count_tags(actor, by_key, key, community_ids, tag_kinds, visible):
    """Active tags of present residents per unit and kind. Sensitive kinds are read only in the communities
    where the actor was granted them; elsewhere they are None (unknown to the actor), not 0."""
    tags = scope_filter(ResidentTag.objects.all(), reader_scope(actor), grid_field="resident__grid_id")
    tags = tags.filter(~Q(kind__in=SENSITIVE_TAGS) | Q(community_id__in=visible), active=True,
                       resident__status=ResidentStatus.PRESENT)
    tag_key = "community_id" if key == "community_id" else f"resident__{key}"
    counts = {(row["unit"], row["kind"]): row["tags"]
              for row in _grouped(tags, tag_key, community_ids, "kind").annotate(tags=Count("id"))}
    for unit in by_key.values():
        unit.tags = {kind.value: None if kind in SENSITIVE_TAGS and unit.community_id not in visible
                     else counts.get((unit.id, kind.value), 0) for kind in tag_kinds}


def _total(units, tag_kinds):
    """The totals line; a tag kind hidden in some unit has no total (None) either."""
    total = OverviewUnit("total", None, gettext("合计"), None)
    for name in ("households", "residents", "male", "female"):
        setattr(total, name, sum(getattr(unit, name) for unit in units))
    for name in ("age_bands", "residence_status"):
        keys = getattr(total, name)
        setattr(total, name, {key: sum(getattr(unit, name)[key] for unit in units) for key in keys})
    total.tags = {kind.value: None if any(unit.tags[kind.value] is None for unit in units)
                  else sum(unit.tags[kind.value] for unit in units) for kind in tag_kinds}
    return total


@dataclass
class OverviewTable:
    """One of the report's tables: the page shows it beside its chart, the xlsx side by side on one sheet,
    the docx one under the other. rows are (unit, its values in column order)."""

    chart: str
    title: str
    columns: list[str]
    rows: list[tuple[OverviewUnit, list]]
    total: list


def overview_tables(overview):
    """基本情况与年龄结构, 居住状况 and 重点人群, each with a row a unit and the totals."""
    people = [gettext("户数"), gettext("在册人数"), gettext("男"), gettext("女")]
    sections = [
        ("age", gettext("人口与年龄结构"), people + [c.label for c in overview.age_bands],
         lambda u: [u.households, u.residents, u.male, u.female, *_in_order(u.age_bands, overview.age_bands)],
         ),
        ("residence", gettext("居住状况"), [c.label for c in overview.residence_statuses],
         lambda u: _in_order(u.residence_status, overview.residence_statuses)),
        ("tags", gettext("重点人群"), [c.label for c in overview.tag_kinds],
         lambda u: _in_order(u.tags, overview.tag_kinds)),
    ]
    return [OverviewTable(chart, title, columns, [(unit, values(unit)) for unit in overview.units],
                          values(overview.total)) for chart, title, columns, values in sections]


def _in_order(figures, columns):
    return [figures[column.key] for column in columns]


def overview_charts(overview):
    """What the page's charts draw: age bands and residence status stacked per unit; care tags a bar per kind,
    stacked by unit (a person may carry several kinds, so kinds are not added up per unit)."""
    return {
        "age": _stacked_per_unit(overview, overview.age_bands, "age_bands"),
        "residence": _stacked_per_unit(overview, overview.residence_statuses, "residence_status"),
        "tags": {"categories": [column.label for column in overview.tag_kinds],
                 "series": [{"name": unit.name, "data": _in_order(unit.tags, overview.tag_kinds)}
                            for unit in overview.units]},
    }


def _stacked_per_unit(overview, columns, figures):
    units = overview.units
    return {"categories": [unit.name for unit in units],
            "series": [{"name": column.label, "data": [getattr(unit, figures)[column.key] for unit in units]}
                       for column in columns]}
