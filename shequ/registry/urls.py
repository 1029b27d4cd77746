from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("", views.resident_list, name="residents"),
    path("overview/", views.overview, name="overview"),
    path("overview.xlsx", views.overview_xlsx_download, name="overview_xlsx"),
    path("overview.docx", views.overview_docx_download, name="overview_docx"),
    path("residents/<int:resident_id>/", views.resident_detail, name="resident"),
    path("residents/<int:resident_id>/reveal/", views.resident_reveal, name="reveal"),
    path("households/<int:household_id>/", views.household_detail, name="household"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:household_id>/members/", views.household_add_member, name="household_add_member"),
    path("households/<int:household_id>/move-out/", views.household_move_out, name="household_move_out"),
    path("households/<int:household_id>/split/", views.household_split, name="household_split"),
    path("households/<int:household_id>/merge/", views.household_merge, name="household_merge"),
    path("residents/<int:resident_id>/correct/", views.resident_correct, name="resident_correct"),
    path("residents/<int:resident_id>/move-out/", views.resident_move_out, name="resident_move_out"),
    path("residents/<int:resident_id>/death/", views.resident_death, name="resident_death"),
    path("residents/<int:resident_id>/transfer/", views.resident_transfer, name="resident_transfer"),
    path("residents/<int:resident_id>/tags/", views.resident_tag_add, name="resident_tag_add"),
    path("residents/<int:resident_id>/tags/<int:tag_id>/end/", views.resident_tag_end, name="resident_tag_end"),
    path("residents/<int:resident_id>/tags/<int:tag_id>/reveal/", views.resident_tag_reveal, name="tag_reveal"),
    path("place-options/", views.place_options, name="place_options"),
    path("id-hint/", views.id_hint, name="id_hint"),
    path("tag-fields/", views.tag_fields, name="tag_fields"),
    # Roster import and export
    path("import/", views.import_start, name="import_start"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:job_id>/", views.import_progress, name="import_progress"),
    path("import/<int:job_id>/mapping/", views.import_mapping, name="import_mapping"),
    path("import/<int:job_id>/preview/", views.import_preview, name="import_preview"),
    path("import/<int:job_id>/commit/", views.import_commit, name="import_commit"),
    path("import/<int:job_id>/cancel/", views.import_cancel, name="import_cancel"),
    path("import/<int:job_id>/rejected.xlsx", views.import_rejected, name="import_rejected"),
    path("export.xlsx", views.export_residents, name="export_residents"),
    path("roster.xlsx", views.export_roster, name="export_roster"),
    path("export/", views.export_list, name="exports"),
    path("export/<int:job_id>/", views.export_progress, name="export_progress"),
    path("export/<int:job_id>/cancel/", views.export_cancel, name="export_cancel"),
    path("export/<int:job_id>/file.xlsx", views.export_download, name="export_download"),
]
