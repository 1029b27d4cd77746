from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.resident_list, name="residents"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal, name="reveal"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
]
