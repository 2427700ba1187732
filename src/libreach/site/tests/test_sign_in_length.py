"""A sign-in name longer than any user name is a form error, not a 500: Django's sign-in
form declares the length without checking it, and django-axes then logged the attempt
in a varchar(255), which PostgreSQL refuses."""

import pytest
from axes.models import AccessAttempt
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("length", [151, 600])
def test_an_overlong_sign_in_name_is_refused_by_the_form(consortium, length):
    response = Client().post("/accounts/login/", {"username": "9" * length, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not AccessAttempt.objects.exists()  # nothing reached authenticate() or axes
