"""Reader pages of document delivery: my requests, the request form (and the OpenURL
link that fills it in), one request, its Cancel and its file."""

from django.urls import path

from libreach.docdelivery import reader_views as views

app_name = "docdelivery"

urlpatterns = [
    path("docdelivery/", views.request_list, name="requests"),
    path("docdelivery/new/", views.request_new, name="new"),
    path("docdelivery/openurl", views.openurl, name="openurl"),
    path("docdelivery/<int:request_id>/", views.request_detail, name="request"),
    path("docdelivery/<int:request_id>/cancel/", views.request_cancel, name="cancel"),
    path("docdelivery/<int:request_id>/file/", views.request_file, name="file"),
]
