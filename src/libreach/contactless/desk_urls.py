"""Staff desk pages of contactless borrowing, in the `desk` namespace (`/desk/<lib>/…`)."""

from django.urls import path

from libreach.contactless import desk_views as views

urlpatterns = [
    path("<str:lib>/pick-list/", views.pick_list, name="picklist"),
    path("<str:lib>/pick-list/scan/", views.picklist_scan, name="picklist_scan"),
    path("<str:lib>/pick-slips/", views.print_pick_slip, name="print_pick_slip"),
    path("<str:lib>/pick-slips/<int:slip_id>/", views.pick_slip, name="pick_slip"),
    path("<str:lib>/pick-slips/<int:slip_id>.pdf", views.pick_slip_pdf, name="pick_slip_pdf"),
    path("<str:lib>/requests/", views.request_list, name="requests"),
    path("<str:lib>/requests/<int:request_id>/", views.request_detail, name="request"),
    path("<str:lib>/requests/<int:request_id>/scan/", views.request_scan, name="request_scan"),
    path(
        "<str:lib>/requests/<int:request_id>/lines/<int:line_id>/found/",
        views.line_found,
        name="line_found",
    ),
    path(
        "<str:lib>/requests/<int:request_id>/lines/<int:line_id>/not-found/",
        views.line_not_found,
        name="line_not_found",
    ),
    path("<str:lib>/requests/<int:request_id>/disinfect/", views.disinfect, name="disinfect"),
    path("<str:lib>/requests/<int:request_id>/stage/", views.stage, name="stage"),
    path("<str:lib>/requests/<int:request_id>/cancel/", views.cancel, name="cancel"),
    path("<str:lib>/requests/<int:request_id>/dispatch/", views.dispatch, name="dispatch"),
    path("<str:lib>/runs/", views.run_list, name="runs"),
    path("<str:lib>/runs/new/", views.run_create, name="run_create"),
    path("<str:lib>/runs/<int:run_id>/", views.run_detail, name="run"),
    path("<str:lib>/runs/<int:run_id>/sheet/", views.run_sheet, name="run_sheet"),
    path("<str:lib>/runs/<int:run_id>/sheet.pdf", views.run_sheet_pdf, name="run_sheet_pdf"),
    path("<str:lib>/runs/<int:run_id>/dispatch/", views.run_dispatch, name="run_dispatch"),
    path("<str:lib>/handover/", views.handover, name="handover"),
    path("<str:lib>/handover/scan/", views.handover_scan, name="handover_scan"),
    path("<str:lib>/returns/", views.returns, name="returns"),
    path("<str:lib>/stats/", views.stats, name="stats"),
]
