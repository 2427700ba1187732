from django.contrib import admin
from django.urls import include, path

from libreach.api import api
from libreach.docdelivery.views import iso18626_endpoint
from libreach.site.landing import LandingLoginView

handler400 = "libreach.api.bad_request"  # JSON under /api/

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("iso18626", iso18626_endpoint, name="iso18626"),  # API.md: member systems post here
    path("i18n/", include("django.conf.urls.i18n")),
    # Before Django's own: staff land on their desk (libreach.site.landing).
    path("accounts/login/", LandingLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("desk/", include("libreach.desk_urls")),
    path("", include("libreach.contactless.urls")),
    path("", include("libreach.docdelivery.urls")),
    path("", include("libreach.circulation.urls")),
    path("", include("libreach.eresources.urls")),
    path("", include("libreach.catalog.urls")),
]
