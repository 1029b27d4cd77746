"""The JSON API: every app's router under /api/v1/, and one error format {code, message, details}."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.utils.translation import gettext, pgettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from shequ.accounts.api import router as accounts_router
from shequ.accounts.auth import API_AUTH
from shequ.audit.api import router as audit_router
from shequ.core.errors import ApplicationError
from shequ.places.api import router as places_router
from shequ.registry.api import router as registry_router

api = NinjaAPI(
    title="Shequ 社区工作平台 API",
    version="1.0.0",
    description="街道办事处与居委会社区工作平台的 JSON 接口。浏览器使用会话登录；系统对接使用 Bearer 令牌。",
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs" if settings.API_DOCS_ENABLED else None,
)


def _error(request, status, code, message, details=None):
    return api.create_response(request, {"code": code, "message": message, "details": details or {}}, status=status)


@api.exception_handler(ApplicationError)
def application_error(request, exc):
    return _error(request, exc.status, exc.code, exc.message, exc.details)


def _field_path(loc):
    """("query", "limit") -> "limit"; a body arrives as ("body", <parameter name>, field...), and
    callers know only the field, not the name of the view's parameter."""
    source, *parts = [str(part) for part in loc] or ["body"]
    if source == "body":
        parts = parts[1:]
    return ".".join(parts) or source


@api.exception_handler(ValidationError)
def validation_error(request, exc):
    fields = {}
    for problem in exc.errors:
        location = _field_path(problem.get("loc", []))
        fields.setdefault(location, []).append(problem.get("msg", ""))
    where = pgettext("list separator", "、").join(fields)
    return _error(request, 422, "validation_error", gettext("提交的数据有误：%(fields)s") % {"fields": where}, fields)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, exc):
    return _error(request, 401, "not_authenticated", gettext("请先登录，或在 Authorization 头中提供有效的 API 令牌"))


@api.exception_handler(Http404)
@api.exception_handler(ObjectDoesNotExist)
def not_found(request, exc):
    return _error(request, 404, "not_found", gettext("未找到该记录"))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, "forbidden", gettext("您没有执行此操作的权限"))


@api.exception_handler(HttpError)
def http_error(request, exc):
    return _error(request, exc.status_code, "http_error", str(exc))


api.add_router("/accounts", accounts_router)
api.add_router("/places", places_router)
api.add_router("/audit", audit_router)
api.add_router("/registry", registry_router)
