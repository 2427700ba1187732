"""Staff desk pages of circulation, in the `desk` namespace (`/desk/<lib>/…`)."""

from django.urls import path

from libreach.circulation import views

urlpatterns = [
    path("<str:lib>/quarantine/", views.quarantine, name="quarantine"),
    path("<str:lib>/quarantine/scan/", views.quarantine_scan, name="quarantine_scan"),
    path(
        "<str:lib>/quarantine/<str:barcode>/release/",
        views.release,
        name="quarantine_release",
    ),
    path("<str:lib>/closures/", views.closures_page, name="closures"),
    path("<str:lib>/closures/declare/", views.declare_closure, name="closure_declare"),
    path("<str:lib>/closures/<int:closure_id>/lift/", views.lift_closure, name="closure_lift"),
    path("<str:lib>/loans/extend/", views.bulk_extension, name="bulk_extension"),
]
