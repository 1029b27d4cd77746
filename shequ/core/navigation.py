"""Each app registers its modules here; the shell shows only those the actor may open, so modules
that do not exist yet are simply absent."""

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    icon: str
    order: int
    visible: Callable


_items: dict[str, NavItem] = {}


def register(key, *, label, url_name, icon, order, visible):
    _items[key] = NavItem(key, label, url_name, icon, order, visible)


def visible_items(actor):
    items = sorted(_items.values(), key=lambda item: item.order)
    return [{"key": i.key, "label": i.label, "url": reverse(i.url_name), "icon": i.icon}
            for i in items if i.visible(actor)]
