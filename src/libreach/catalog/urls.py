from django.urls import path

from libreach.catalog import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("records/<int:record_id>/", views.record_detail, name="record"),
]
