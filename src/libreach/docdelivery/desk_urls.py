"""Staff desk pages of document delivery, in the `desk` namespace (`/desk/<lib>/docdelivery/…`):
the review queue, the lender's incoming queue, a request's page and its actions."""

from django.urls import path

from libreach.docdelivery import desk_views as views

P = "<str:lib>/docdelivery/"
R = P + "<int:request_id>/"

urlpatterns = [
    path(P, views.review, name="docdelivery"),
    path(P + "lending/", views.lending, name="docdelivery_lending"),
    path(R, views.request_page, name="docdelivery_request"),
    # The reader's library.
    path(R + "approve/", views.approve, name="docdelivery_approve"),
    path(R + "reject/", views.reject, name="docdelivery_reject"),
    path(R + "satisfy/", views.satisfy, name="docdelivery_satisfy"),
    path(R + "rota/", views.edit_rota, name="docdelivery_rota"),
    path(R + "accept-retry/", views.accept_retry, name="docdelivery_accept_retry"),
    path(R + "decline-retry/", views.decline_retry, name="docdelivery_decline_retry"),
    path(R + "receive/", views.receive, name="docdelivery_receive"),
    path(R + "return/", views.return_loan, name="docdelivery_return"),
    path(R + "cancel/", views.cancel, name="docdelivery_cancel"),
    # The lender.
    path(R + "will-supply/", views.will_supply, name="docdelivery_will_supply"),
    path(R + "unfilled/", views.unfilled, name="docdelivery_unfilled"),
    path(R + "retry/", views.retry, name="docdelivery_retry"),
    path(R + "supply/", views.supply, name="docdelivery_supply"),
    path(R + "ship/", views.ship, name="docdelivery_ship"),
    path(R + "complete/", views.complete, name="docdelivery_complete"),
]
