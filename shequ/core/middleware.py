from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils import translation

from shequ.core.context import current_ip, current_source
from shequ.core.errors import ApplicationError, Forbidden, NotFound


class RequestContextMiddleware:
    """Marks writes made during a request as coming from the web or the API, with the client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source_token = current_source.set("api" if request.path.startswith("/api/") else "web")
        ip_token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            current_source.reset(source_token)
            current_ip.reset(ip_token)

    def process_exception(self, request, exception):
        """Pages show the error pages; the API renders its own JSON errors before this is reached."""
        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message)
        if isinstance(exception, ApplicationError) and request.path.startswith("/api/"):
            return JsonResponse(exception.as_dict(), status=exception.status)
        return None


class LanguageMiddleware:
    """Chinese unless the user chose another language with the switch (a cookie). Unlike Django's
    LocaleMiddleware, the browser's Accept-Language is ignored: office PCs often run English Windows."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        # override, not activate: the thread goes back to its language after the response, so work it does
        # next outside a request (a task, a test) is not left in this user's language.
        with translation.override(language):
            request.LANGUAGE_CODE = translation.get_language()
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
