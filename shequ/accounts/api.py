from ninja import Router, Status

from . import selectors, services
from .schemas import MeOut, TokenCreatedOut, TokenIn, TokenOut

router = Router(tags=["账号"])


@router.get("/me", response=MeOut)
def me(request):
    memberships = [
        {"id": m.id, "role": m.role, "role_label": m.get_role_display(), "scope": m.scope_label,
         "street_id": m.street_id, "community_id": m.community_id, "grid_id": m.grid_id}
        for m in selectors.membership_list_for(request.user)
    ]
    return {"id": request.user.id, "username": request.user.username, "full_name": request.user.full_name,
            "memberships": memberships}


@router.get("/tokens", response=list[TokenOut])
def token_list(request):
    return list(selectors.api_token_list(request.user)[:500])


@router.post("/tokens", response={201: TokenCreatedOut})
def token_create(request, payload: TokenIn):
    user = selectors.manageable_user_get(request.user, payload.user_id) if payload.user_id else request.user
    token, raw = services.api_token_create(actor=request.user, user=user, name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": raw})


@router.post("/tokens/{token_id}/revoke", response=TokenOut)
def token_revoke(request, token_id: int):
    token = selectors.api_token_get(request.user, token_id)
    return services.api_token_revoke(actor=request.user, token=token)
