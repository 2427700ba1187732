"""Reader pages of circulation: my loans and my loan history."""

from django.urls import path

from libreach.circulation import reader_views

app_name = "circulation"

urlpatterns = [
    path("loans/", reader_views.loans, name="loans"),
    path("loans/history/", reader_views.loan_history, name="loan_history"),
    path("loans/renew-all/", reader_views.renew_all, name="renew_all"),
    path("loans/<int:loan_id>/renew/", reader_views.renew, name="renew"),
]
