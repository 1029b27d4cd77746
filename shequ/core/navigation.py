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


def may_open(actor, key):
    """Whether the module registered as `key` exists and the actor may open it. An app links to another app's
    pages through this rather than importing that app's permissions: a module that is not there, or that the
    actor may not open, is simply not linked."""
    item = _items.get(key)
    return item is not None and bool(item.visible(actor))


def visible_items(actor, resolver_match=None):
    """The entries the actor may open. The current one is the entry of the page itself, else the entry of
    its app: an app with two entries (the registry's list and its overview) marks only the one open."""
    items = [i for i in sorted(_items.values(), key=lambda item: item.order) if i.visible(actor)]
    view, app = (resolver_match.view_name, resolver_match.app_name) if resolver_match else (None, None)
    exact = any(i.url_name == view for i in items)
    return [{"key": i.key, "label": i.label, "url": reverse(i.url_name), "icon": i.icon,
             "current": i.url_name == view if exact else i.key == app} for i in items]
