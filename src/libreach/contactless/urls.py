"""Reader pages of contactless borrowing: the basket and the reader's requests."""

from django.urls import path

from libreach.contactless import views

app_name = "contactless"

urlpatterns = [
    path("basket/", views.basket_page, name="basket"),
    path("basket/add/", views.basket_add, name="basket_add"),
    path("basket/remove/", views.basket_remove, name="basket_remove"),
    path("basket/<str:lib>/request/", views.request_form, name="request_form"),
    path("requests/", views.request_list, name="requests"),
    path("requests/<int:request_id>/", views.request_detail, name="request"),
    path("requests/<int:request_id>/cancel/", views.request_cancel, name="request_cancel"),
    path("requests/<int:request_id>/slot/", views.request_slot, name="request_slot"),
    path("requests/<int:request_id>/slot.ics", views.request_ics, name="request_ics"),
]
