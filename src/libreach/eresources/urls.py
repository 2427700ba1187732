"""Reader pages of e-resources: the guide to each library's databases, a database's
routes, free offers, topic collections and the title finder. All public."""

from django.urls import path

from libreach.eresources import views

app_name = "eresources"

urlpatterns = [
    path("e-resources/", views.index, name="index"),
    path("e-resources/<str:lib>/", views.guide, name="guide"),
    path("e-resources/<str:lib>/databases/<int:database_id>/", views.database, name="database"),
    path("e-resources/<str:lib>/free/", views.free_offers, name="free"),
    path("e-resources/<str:lib>/topics/", views.topics, name="topics"),
    path("e-resources/<str:lib>/topics/<slug:slug>/", views.topic, name="topic"),
    path("e-resources/<str:lib>/titles/", views.titles, name="titles"),
]
