"""Setup routes: what they create and what they refuse (with nothing changed)."""

import pytest

from libreach.accounts.models import ReaderProfile, StaffMembership, User
from libreach.consortium.models import Building, Library, ServicePoint
from libreach.testing.fixtures import PASSWORD


def test_consortium_admin_adds_a_library(api_as):
    response = api_as("consortium_admin").post(
        "/api/v1/libraries", {"code": "THU", "name": "清华大学图书馆", "name_en": "Tsinghua"}
    )
    assert response.status_code == 201
    assert response.json() | {"id": 0} == {
        "id": 0,
        "code": "THU",
        "name": "清华大学图书馆",
        "name_en": "Tsinghua",
    }
    assert Library.objects.filter(code="THU").exists()


def test_duplicate_library_code_is_409(api_as):
    response = api_as("consortium_admin").post("/api/v1/libraries", {"code": "PKU", "name": "x"})
    assert response.status_code == 409
    assert response.json()["error"] == "already_exists"
    assert Library.objects.get(code="PKU").name == "北京大学图书馆"


@pytest.mark.parametrize("code", ["", "has space", "中文", "-dash", "x" * 33])
def test_bad_library_code_is_422(api_as, code):
    response = api_as("consortium_admin").post("/api/v1/libraries", {"code": code, "name": "x"})
    assert response.status_code == 422
    assert Library.objects.count() == 2


def test_staff_adds_building_and_service_point(api_as, consortium):
    client = api_as("staff")
    response = client.post("/api/v1/libraries/PKU/buildings", {"code": "LAB3", "name": "化学楼"})
    assert response.status_code == 201
    assert response.json()["library"] == "PKU"
    response = client.post(
        "/api/v1/libraries/PKU/service-points",
        {"code": "WEST", "name": "西门", "is_pickup": True, "slot_minutes": 20, "slot_capacity": 4},
    )
    assert response.status_code == 201
    point = ServicePoint.objects.get(library=consortium.lib, code="WEST")
    assert (point.is_pickup, point.slot_minutes, point.slot_capacity) == (True, 20, 4)


def test_service_point_defaults(api_as, consortium):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/service-points",
        {"code": "DESK", "name": "总服务台", "is_pickup": False},
    )
    assert response.status_code == 201
    assert response.json()["slot_minutes"] == 30
    assert response.json()["slot_capacity"] == 10


def test_same_building_code_in_two_libraries_is_fine_but_not_twice_in_one(api_as):
    assert (
        api_as("consortium_admin")
        .post("/api/v1/libraries/BLCU/buildings", {"code": "LAB3", "name": "实验楼"})
        .status_code
        == 201
    )
    client = api_as("staff")
    assert (
        client.post("/api/v1/libraries/PKU/buildings", {"code": "LAB3", "name": "a"}).status_code
        == 201
    )
    response = client.post("/api/v1/libraries/PKU/buildings", {"code": "LAB3", "name": "b"})
    assert response.status_code == 409
    assert Building.objects.get(library__code="PKU", code="LAB3").name == "a"


@pytest.mark.parametrize(
    "body",
    [
        {"code": "S1", "name": "x", "is_pickup": True, "slot_capacity": 0},
        {"code": "S1", "name": "x", "is_pickup": True, "slot_minutes": 1},
        {"code": "S1", "name": "x"},
    ],
)
def test_bad_service_point_is_422(api_as, body):
    response = api_as("staff").post("/api/v1/libraries/PKU/service-points", body)
    assert response.status_code == 422
    assert not ServicePoint.objects.filter(code="S1").exists()


def test_unknown_library_is_404(api_as):
    response = api_as("consortium_admin").post(
        "/api/v1/libraries/NOPE/buildings", {"code": "B", "name": "x"}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "library_not_found"


def test_library_admin_adds_staff_who_can_sign_in(api_as, consortium):
    response = api_as("library_admin").post(
        "/api/v1/libraries/PKU/staff",
        {"username": "ref1", "password": PASSWORD, "name": "参考馆员", "role": "reference"},
    )
    assert response.status_code == 201
    assert response.json()["role"] == "reference"
    assert StaffMembership.objects.filter(user__username="ref1", library=consortium.lib).exists()
    assert User.objects.get(username="ref1").check_password(PASSWORD)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"username": "pku-circ", "password": PASSWORD, "name": "x", "role": "reference"}, 409),
        ({"username": "n1", "password": PASSWORD, "name": "x", "role": "director"}, 422),
        ({"username": "n1", "password": "123", "name": "x", "role": "reference"}, 422),
        ({"username": "n 1!", "password": PASSWORD, "name": "x", "role": "reference"}, 422),
    ],
)
def test_bad_staff_refused(api_as, body, status):
    users = User.objects.count()
    response = api_as("library_admin").post("/api/v1/libraries/PKU/staff", body)
    assert response.status_code == status, response.json()
    assert User.objects.count() == users


def test_staff_adds_reader_who_signs_in_with_card_number(api_as, consortium):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/readers",
        {
            "card_number": "2021000009",
            "name": "赵六",
            "reader_type": "graduate",
            "building": "DORM1",
            "email": "zhao@example.edu.cn",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201
    assert response.json()["building"] == "DORM1"
    token = api_as("anonymous").post(
        "/api/v1/auth/token", {"username": "2021000009", "password": PASSWORD}
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"card_number": "2020000001"}, 409),  # already issued
        ({"reader_type": "alumni"}, 422),
        ({"building": "NOWHERE"}, 422),
        ({"email": "not-an-email"}, 422),
        ({"password": "short"}, 422),
    ],
)
def test_bad_reader_refused(api_as, change, status):
    body = {
        "card_number": "2021000010",
        "name": "钱七",
        "reader_type": "undergraduate",
        "password": PASSWORD,
    } | change
    readers = ReaderProfile.objects.count()
    users = User.objects.count()
    response = api_as("staff").post("/api/v1/libraries/PKU/readers", body)
    assert response.status_code == status, response.json()
    assert (ReaderProfile.objects.count(), User.objects.count()) == (readers, users)


def test_readers_list_is_staff_only_and_per_library(api_as):
    response = api_as("staff").get("/api/v1/libraries/PKU/readers")
    assert response.status_code == 200
    cards = [r["card_number"] for r in response.json()["items"]]
    assert cards == ["2020000001", "2020000002"]
    assert api_as("staff").get("/api/v1/libraries/BLCU/readers").status_code == 403
