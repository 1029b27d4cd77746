from django.urls import path

from . import views

app_name = "places"
urlpatterns = [
    path("", views.community_list, name="communities"),
    path("communities/<int:community_id>/", views.community_detail, name="community"),
    path("estates/<int:estate_id>/", views.estate_detail, name="estate"),
    path("<slug:kind>/new/", views.place_create, name="create"),
    path("<slug:kind>/<int:place_id>/edit/", views.place_edit, name="edit"),
]
