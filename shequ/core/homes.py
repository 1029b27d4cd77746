"""One home page (工作台) per role. Each app contributes the figures its selectors can give: places the
summary, other apps panels they register here (like navigation), shown to those who may see them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import Role
from shequ.places.selectors import place_summary

ROLE_HOMES = {
    Role.STREET_ADMIN: (_("街道工作台"), "core/home_street.html"),
    Role.COMMUNITY_HEAD: (_("社区工作台"), "core/home_community.html"),
    Role.COMMUNITY_WORKER: (_("社工工作台"), "core/home_worker.html"),
    Role.GRID_WORKER: (_("网格工作台"), "core/home_grid.html"),
    Role.SUPERVISOR: (_("居务监督工作台"), "core/home_supervisor.html"),
    Role.RESIDENT: (_("居民服务"), "core/home_resident.html"),
    Role.VOLUNTEER: (_("志愿服务"), "core/home_volunteer.html"),
}


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    order: int
    visible: Callable
    context: Callable  # actor -> what the panel's template reads as `panel`


_panels: dict[str, HomePanel] = {}


def register_panel(key, *, template, order, visible, context):
    _panels[key] = HomePanel(key, template, order, visible, context)


def home_panels(actor):
    return [{"key": p.key, "template": p.template, **p.context(actor)}
            for p in sorted(_panels.values(), key=lambda panel: panel.order) if p.visible(actor)]


def home_context(actor, membership):
    if membership is None:
        return {"template": "core/home_none.html", "home_title": "工作台"}
    title, template = ROLE_HOMES[membership.role]
    return {
        "template": template,
        "home_title": title,
        "role": membership.role,
        "summary": place_summary(actor, membership),
        "panels": home_panels(actor),
    }
