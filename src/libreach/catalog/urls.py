from django.urls import path

from libreach.catalog import views

urlpatterns = [
    path("", views.home, name="home"),
]
