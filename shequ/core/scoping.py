"""Which rows an actor may reach. Every selector filters through here; permissions.py in each app
decides what the actor may do with them."""

from dataclasses import dataclass

from django.db.models import Q


@dataclass(frozen=True)
class Scope:
    street_ids: frozenset
    community_ids: frozenset  # whole communities, directly or through a street
    grid_ids: frozenset
    grid_community_ids: frozenset  # communities that hold the actor's grids

    @property
    def readable_community_ids(self):
        return self.community_ids | self.grid_community_ids

    @property
    def is_empty(self):
        return not (self.community_ids or self.grid_ids)


EMPTY_SCOPE = Scope(frozenset(), frozenset(), frozenset(), frozenset())


def actor_memberships(actor):
    """The actor's active memberships, loaded once per request object."""
    if actor is None or not actor.is_authenticated:
        return []
    cached = getattr(actor, "_shequ_memberships", None)
    if cached is None:
        cached = list(actor.memberships.filter(is_active=True).select_related("grid"))
        actor._shequ_memberships = cached
    return cached


def actor_roles(actor):
    return {m.role for m in actor_memberships(actor)}


def actor_scope(actor, roles=None):
    """The rows an actor reaches through memberships of the given roles (all roles if None)."""
    memberships = [m for m in actor_memberships(actor) if roles is None or m.role in roles]
    if not memberships:
        return EMPTY_SCOPE
    cache = actor.__dict__.setdefault("_shequ_scopes", {})
    key = frozenset(roles) if roles is not None else None
    if key not in cache:
        cache[key] = _build_scope(actor, memberships)
    return cache[key]


def _build_scope(actor, memberships):
    from shequ.places.models import Community

    street_ids = frozenset(m.street_id for m in memberships if m.street_id and not m.community_id)
    community_ids = {m.community_id for m in memberships if m.community_id and not m.grid_id}
    if street_ids:
        # Asked once per request: scopes for different role sets share the street's communities.
        streets = actor.__dict__.setdefault("_shequ_street_communities", {})
        if street_ids not in streets:
            streets[street_ids] = set(
                Community.objects.filter(street_id__in=street_ids).values_list("id", flat=True))
        community_ids |= streets[street_ids]
    grids = [m.grid for m in memberships if m.grid_id]
    return Scope(
        street_ids=street_ids,
        community_ids=frozenset(community_ids),
        grid_ids=frozenset(g.id for g in grids),
        grid_community_ids=frozenset(g.community_id for g in grids),
    )


def scope_q(scope, *, community_field="community_id", grid_field=None):
    """A filter for rows in scope. Without grid_field, a grid actor reads its grid's whole community
    (places and structure); with it, only rows of its own grids (people and their data)."""
    if grid_field is None:
        return Q(**{f"{community_field}__in": scope.readable_community_ids})
    return Q(**{f"{community_field}__in": scope.community_ids}) | Q(**{f"{grid_field}__in": scope.grid_ids})


def scope_filter(queryset, scope, **fields):
    if scope.is_empty:
        return queryset.none()
    return queryset.filter(scope_q(scope, **fields))
