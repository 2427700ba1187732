"""URL tree of the staff desk, `/desk/`: one namespace, each app adds its pages."""

from django.urls import path

from libreach.circulation.desk_urls import urlpatterns as circulation_desk_urls
from libreach.contactless.desk_urls import urlpatterns as contactless_desk_urls
from libreach.docdelivery.desk_urls import urlpatterns as docdelivery_desk_urls
from libreach.eresources.desk_urls import urlpatterns as eresources_desk_urls
from libreach.site import desk

app_name = "desk"

urlpatterns = [
    path("", desk.desk_home, name="home"),
    path("<str:lib>/", desk.library_home, name="library"),
    *contactless_desk_urls,
    *circulation_desk_urls,
    *docdelivery_desk_urls,
    *eresources_desk_urls,
]
