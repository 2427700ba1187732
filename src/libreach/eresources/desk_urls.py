"""Staff desk pages of e-resources, in the `desk` namespace (`/desk/<lib>/e-resources/…`):
databases and their routes, KBART titles, link settings, link status, topic collections,
the WAYFless list."""

from django.urls import path

from libreach.eresources import desk_views as views

P = "<str:lib>/e-resources/"
D = P + "<int:database_id>/"
R = P + "routes/<int:route_id>/"
T = P + "topics/<int:collection_id>/"
I = P + "topics/items/<int:item_id>/"  # noqa: E741

urlpatterns = [
    path(P, views.databases, name="eres"),
    path(P + "new/", views.create_database, name="eres_create"),
    path(D, views.database_page, name="eres_database"),
    path(D + "edit/", views.edit_database, name="eres_database_edit"),
    path(D + "delete/", views.delete_database, name="eres_database_delete"),
    path(D + "routes/", views.add_route, name="eres_route_add"),
    path(D + "kbart/", views.upload_kbart, name="eres_kbart"),
    path(R, views.route_page, name="eres_route"),
    path(R + "edit/", views.edit_route, name="eres_route_edit"),
    path(R + "delete/", views.delete_route, name="eres_route_delete"),
    path(P + "links/", views.link_settings, name="eres_links"),
    path(P + "status/", views.status, name="eres_status"),
    path(P + "topics/", views.collections, name="eres_topics"),
    path(P + "topics/new/", views.create_collection, name="eres_topic_create"),
    path(T, views.collection_page, name="eres_topic"),
    path(T + "edit/", views.edit_collection, name="eres_topic_edit"),
    path(T + "delete/", views.delete_collection, name="eres_topic_delete"),
    path(T + "move/", views.move_collection, name="eres_topic_move"),
    path(T + "items/", views.add_item, name="eres_item_add"),
    path(I + "note/", views.edit_item, name="eres_item_edit"),
    path(I + "move/", views.move_item, name="eres_item_move"),
    path(I + "remove/", views.remove_item, name="eres_item_remove"),
    path(P + "wayfless/", views.wayfless_page, name="eres_wayfless"),
    path(P + "wayfless/export.<str:fmt>", views.export_wayfless, name="eres_wayfless_export"),
]
