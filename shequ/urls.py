from django.contrib import admin
from django.urls import include, path, re_path

from shequ.api import api
from shequ.core.views import api_not_found

urlpatterns = [
    path("", include("shequ.core.urls")),
    path("accounts/", include("shequ.accounts.urls")),
    path("places/", include("shequ.places.urls")),
    path("audit/", include("shequ.audit.urls")),
    path("registry/", include("shequ.registry.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
]
