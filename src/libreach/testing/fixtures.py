"""Shared pytest fixtures: a small consortium and API clients for each kind of caller."""

import contextlib
import os

import pytest
from django.core.signals import setting_changed
from django.test import Client

from libreach.accounts import services as account_services
from libreach.accounts.models import StaffRole, User
from libreach.consortium import services as consortium_services

PASSWORD = "Reach-2020-demo"


def pytest_configure(config):
    from django.conf import settings

    # Production hashing costs ~0.3 s per password; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tasks run inline in tests; a test of the worker switches to the database backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    setting_changed.send(sender=type(settings), setting="TASKS", value=settings.TASKS, enter=True)
    # The live server writes an answer's headers and body apart; with Nagle's algorithm the
    # body waits for the client's delayed ACK, about 40 ms on every kept-alive connection
    # (the API fuzz spent most of its time so). Production serves through gunicorn.
    from django.core.servers.basehttp import WSGIRequestHandler

    WSGIRequestHandler.disable_nagle_algorithm = True


def pytest_unconfigure(config):
    from django.conf import settings

    # Django removes the SQLite test database file but not its WAL and shared-memory
    # files when a thread's connection outlived the run.
    db = settings.DATABASES["default"]
    name = str(db.get("TEST", {}).get("NAME") or "")
    if "sqlite" in db["ENGINE"] and name and not os.path.exists(name):
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.remove(name + suffix)


@pytest.fixture(autouse=True)
def _no_requests_counted():
    """Each test starts with nothing counted against its address: the API's per-address
    limits keep their counts in the cache, which outlives a test's database."""
    from django.core.cache import cache

    cache.clear()


class ApiClient:
    """A Django test client that speaks JSON and carries a bearer token when signed in."""

    def __init__(self, user: User | None = None, password: str = PASSWORD):
        self.client = Client()
        self.user = user
        self.headers: dict[str, str] = {}
        if user is not None:
            response = self.client.post(
                "/api/v1/auth/token",
                {"username": user.username, "password": password},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            self.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def request(self, method: str, path: str, data=None, **extra):
        call = getattr(self.client, method.lower())
        if method.upper() in {"GET", "DELETE"}:
            return call(path, data or {}, headers=self.headers, **extra)
        return call(path, data, content_type="application/json", headers=self.headers, **extra)

    def get(self, path, data=None, **extra):
        return self.request("GET", path, data, **extra)

    def post(self, path, data=None, **extra):
        return self.request("POST", path, data if data is not None else {}, **extra)


class Consortium:
    """Two libraries, each with a building, a pickup point, staff and readers."""

    def __init__(self):
        self.lib = consortium_services.create_library(
            code="PKU", name="北京大学图书馆", name_en="Peking University Library"
        )
        self.other_lib = consortium_services.create_library(
            code="BLCU", name="北京语言大学图书馆", name_en="BLCU Library"
        )
        for library in (self.lib, self.other_lib):
            consortium_services.create_building(library=library, code="DORM1", name="学生宿舍1号楼")
            consortium_services.create_service_point(
                library=library, code="MAIN", name="总馆东门", is_pickup=True
            )
        self.staff = account_services.create_staff(
            library=self.lib,
            username="pku-circ",
            password=PASSWORD,
            name="流通馆员",
            role=StaffRole.CIRCULATION,
        ).user
        self.lib_admin = account_services.create_staff(
            library=self.lib,
            username="pku-admin",
            password=PASSWORD,
            name="馆长",
            role=StaffRole.ADMIN,
        ).user
        self.volunteer = account_services.create_staff(
            library=self.lib,
            username="pku-vol",
            password=PASSWORD,
            name="志愿者",
            role=StaffRole.VOLUNTEER,
        ).user
        self.other_staff = account_services.create_staff(
            library=self.other_lib,
            username="blcu-admin",
            password=PASSWORD,
            name="他馆馆员",
            role=StaffRole.ADMIN,
        ).user
        self.reader = account_services.create_reader(
            library=self.lib,
            card_number="2020000001",
            name="张三",
            reader_type="undergraduate",
            password=PASSWORD,
            building="DORM1",
        ).user
        self.other_reader = account_services.create_reader(
            library=self.lib,
            card_number="2020000002",
            name="李四",
            reader_type="graduate",
            password=PASSWORD,
        ).user
        self.consortium_admin = User.objects.create_superuser(
            username="balis", password=PASSWORD, name="联盟管理员"
        )

    def actor(self, name: str) -> User | None:
        return {
            "anonymous": None,
            "reader": self.reader,
            "other_reader": self.other_reader,
            "staff": self.staff,
            "library_admin": self.lib_admin,
            "volunteer": self.volunteer,
            "other_staff": self.other_staff,
            "consortium_admin": self.consortium_admin,
        }[name]


@pytest.fixture
def consortium(db) -> Consortium:
    return Consortium()


@pytest.fixture
def api_as(consortium):
    """`api_as("staff")` -> an ApiClient signed in as that member of the consortium."""
    cache: dict[str, ApiClient] = {}

    def make(actor: str) -> ApiClient:
        if actor not in cache:
            cache[actor] = ApiClient(consortium.actor(actor))
        return cache[actor]

    return make
