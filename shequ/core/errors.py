"""The one error type the domain raises; the API renders it as JSON, pages as a message.

A message is built in the request's language where the error is raised (gettext on a Chinese message id);
the defaults below are translated when the error is made, not when this module is imported."""

from django.utils.translation import gettext


class ApplicationError(Exception):
    status = 400

    def __init__(self, message, *, code="invalid", details=None, status=None):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.details = details or {}
        if status is not None:
            self.status = status

    def as_dict(self):
        return {"code": self.code, "message": self.message, "details": self.details}


class NotFound(ApplicationError):
    """Missing and out-of-scope look the same, so scope cannot be probed."""

    status = 404

    def __init__(self, message=None, *, code="not_found", details=None):
        super().__init__(gettext("未找到该记录") if message is None else message, code=code, details=details)


class Forbidden(ApplicationError):
    status = 403

    def __init__(self, message=None, *, code="forbidden", details=None):
        super().__init__(gettext("您没有执行此操作的权限") if message is None else message, code=code, details=details)


def validation_error_details(django_error):
    """Turn a Django ValidationError into {field: [messages]}."""
    if hasattr(django_error, "message_dict"):
        return {field: [str(m) for m in msgs] for field, msgs in django_error.message_dict.items()}
    return {"__all__": [str(m) for m in django_error.messages]}
