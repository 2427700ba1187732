"""Text longer than its column is refused with a clear sentence in the caller's language and
changes nothing, wherever it comes in (issue 7, item 17: a 500-character shelf slot was cut
to 32 characters). The limit is the model field's, read by core.lengths.

Walks: every text field of every form, every text property of every JSON request body in
the OpenAPI document, and every hand-written text input of every template."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import get_resolver, reverse
from django.utils import translation

import libreach
from libreach.api import api
from libreach.catalog import services as catalog_services
from libreach.catalog.models import Record
from libreach.circulation import closures
from libreach.consortium.models import Closure
from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, RequestStatus
from libreach.core import lengths
from libreach.core.errors import RuleViolation
from libreach.testing.fixtures import PASSWORD, ApiClient

TEMPLATES = Path(libreach.__file__).parent / "templates"

# Request-body text with no column length: a record's title is a TextField and its
# authors a JSON list; the service refuses neither (both store any length on both databases).
UNBOUNDED = {
    ("/api/v1/libraries/{lib}/records", "title"),
    ("/api/v1/libraries/{lib}/records", "authors.[]"),
}


# --- what the walks find ---------------------------------------------------------------


def _project_forms() -> list[type[forms.BaseForm]]:
    get_resolver().url_patterns  # noqa: B018 (imports every view module, and its forms)
    found, todo = [], [forms.BaseForm]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("libreach."):
            found.append(cls)
    return found


def _form_text_fields() -> list[tuple[str, str, forms.CharField]]:
    return [
        (f"{form.__module__}.{form.__name__}", name, field)
        for form in _project_forms()
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField)
    ]


def _walk(schema: dict, path: list[str], components: dict, out: list, column=None) -> None:
    if "$ref" in schema:
        _walk(components[schema["$ref"].split("/")[-1]], path, components, out)
        return
    column = schema.get(lengths.COLUMN_KEY, column)  # on an optional's anyOf, not its string
    for key in ("anyOf", "allOf", "oneOf"):
        for sub in schema.get(key, []):
            _walk(sub, path, components, out, column)
    kind = schema.get("type")
    if kind == "object":
        for name, sub in schema.get("properties", {}).items():
            _walk(sub, [*path, name], components, out)
    elif kind == "array":
        _walk(schema.get("items", {}), [*path, "[]"], components, out)
    elif kind == "string" and "enum" not in schema and "format" not in schema:
        out.append((".".join(path), {lengths.COLUMN_KEY: column, **schema}))


def _api_text_inputs() -> list[tuple[str, str, dict]]:
    """(path, dotted property, its JSON schema) of every free-text property of every JSON
    request body."""
    document = api.get_openapi_schema()
    found = []
    for path, operations in document["paths"].items():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            out: list = []
            _walk(content["application/json"]["schema"], [], document["components"]["schemas"], out)
            found.extend((path, prop, schema) for prop, schema in out)
    return found


def _body(prop: str, value: str):
    """{"items": [{"barcode": value}]} for "items.[].barcode"."""
    parts = prop.split(".")
    body = value
    for part in reversed(parts):
        body = [body] if part == "[]" else {part: body}
    return body


def _about(prop: str, fields: list[dict]) -> list[dict]:
    """The errors of the 422's `fields` about `prop` (loc: body, payload, then its path,
    then perhaps the branch of a union)."""
    path = [0 if part == "[]" else part for part in prop.split(".")]
    return [f for f in fields if f["loc"][2 : 2 + len(path)] == path]


API_CASES = [
    (path, prop, schema["maxLength"])
    for path, prop, schema in _api_text_inputs()
    if "maxLength" in schema
]
FORM_CASES = [
    (where, name, field) for where, name, field in _form_text_fields() if field.max_length
]


# --- the static rules ------------------------------------------------------------------


def test_every_form_text_field_has_a_limit_and_a_column_its_own():
    fields = _form_text_fields()
    assert any(name == "reason" for _, name, _ in fields)  # the walk sees the forms
    for where, name, field in fields:
        assert field.max_length, f"{where}.{name} takes text of any length"
        column = getattr(field, "column", None)
        if column:
            model, column_name = column.rsplit(".", 1)
            assert field.max_length == lengths.max_length(model, column_name), (where, name)


def test_every_api_text_input_has_its_columns_length():
    inputs = _api_text_inputs()
    assert len(inputs) > 30  # the walk sees the request bodies
    for path, prop, schema in inputs:
        key = (path, prop)
        if key in UNBOUNDED:
            continue
        assert schema.get("maxLength"), f"{path} {prop} takes text of any length"
        column = schema.get(lengths.COLUMN_KEY)
        if column:
            model, name = column.rsplit(".", 1)
            assert schema["maxLength"] == lengths.max_length(model, name), key


def test_columns_named_by_the_api_include_the_ones_issue_7_met():
    columns = {schema.get(lengths.COLUMN_KEY) for _, _, schema in _api_text_inputs()}
    assert {"contactless.BorrowRequest.shelf_slot", "consortium.Closure.reason"} <= columns


TEXT_INPUT = re.compile(r"<input\b[^>]*>", re.S)


def test_every_text_input_in_the_templates_has_a_maxlength():
    missing = []
    for template in TEMPLATES.rglob("*.html"):
        for tag in TEXT_INPUT.findall(template.read_text()):
            kind = re.search(r'type="([^"]+)"', tag)
            if kind and kind.group(1) not in {"text", "search", "email", "tel", "url"}:
                continue
            if "maxlength=" not in tag:
                missing.append(f"{template.relative_to(TEMPLATES)}: {tag}")
    assert not missing, "\n".join(missing)


def test_the_template_tag_reads_the_column():
    from django.template import Context, Template

    html = Template(
        '{% load lengths %}{% max_length "contactless.BorrowRequest" "shelf_slot" %}'
    ).render(Context())
    assert html == str(BorrowRequest._meta.get_field("shelf_slot").max_length)


# --- forms: refused with a clear message, the exact length accepted ------------------------


@pytest.mark.parametrize(
    ("where", "name", "field"), FORM_CASES, ids=[f"{w}.{n}" for w, n, _ in FORM_CASES]
)
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Enter at most {n} characters"), ("zh-hans", "最多输入 {n} 个字符")],
)
def test_a_form_field_refuses_one_character_too_many(where, name, field, language, words):
    limit = field.max_length
    assert field.widget.attrs.get("maxlength") == str(limit)  # the browser stops it too
    assert field.clean("字" * limit) == "字" * limit
    with translation.override(language), pytest.raises(ValidationError) as refused:
        field.clean("字" * (limit + 1))
    with translation.override(language):
        message = " ".join(refused.value.messages)
    assert words.format(n=limit) in message, message


# --- the API: 422 in the contract's shape, in the caller's language ---------------------


@pytest.fixture
def admin_api(consortium):
    return ApiClient(consortium.consortium_admin)


def _fingerprint() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model.__module__.startswith("libreach.") and model._meta.label != "accounts.ApiToken"
    }


def _post(client: ApiClient, path: str, body, language: str):
    concrete = re.sub(r"\{lib\}", "PKU", path)
    concrete = re.sub(r"\{[a-z_]+\}", "999999", concrete)
    return client.post(concrete, body, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.django_db
def test_every_api_text_input_refuses_one_character_too_many(admin_api):
    before = _fingerprint()
    for path, prop, limit in API_CASES:
        for language, words in (
            ("en", "Enter at most {n} characters"),
            ("zh-hans", "最多输入 {n} 个字符"),
        ):
            response = _post(admin_api, path, _body(prop, "x" * (limit + 1)), language)
            assert response.status_code == 422, (path, prop, response.content)
            answer = response.json()
            assert answer["error"] == "invalid" and answer["detail"], answer
            mine = _about(prop, answer["fields"])
            assert mine and words.format(n=limit) in mine[0]["msg"], (path, prop, answer)
            assert words.format(n=limit) in answer["detail"], answer
    assert _fingerprint() == before


@pytest.mark.django_db
def test_every_api_text_input_accepts_its_exact_length(admin_api):
    for path, prop, limit in API_CASES:
        response = _post(admin_api, path, _body(prop, "x" * limit), "en")
        assert response.status_code < 500, (path, prop, response.content)
        if response.status_code == 422 and "fields" in response.json():
            assert not _about(prop, response.json()["fields"]), (path, prop, response.content)


# --- the staging form's shelf slot, end to end (the defect of item 17) -------------------


@pytest.fixture
def picked(consortium):
    """A delivery request whose one book has been found: ready to stage."""
    record = catalog_services.create_record(
        library=consortium.lib,
        title="呐喊",
        items=[catalog_services.ItemInput(barcode="LEN0001")],
    )
    request = services.submit_request(
        user=consortium.reader,
        library=consortium.lib,
        mode="delivery",
        lines=[services.LineSpec(record_id=record.id)],
    )
    line = request.lines.get()
    services.mark_found(
        request_id=request.id, line_id=line.id, by=consortium.staff, barcode="LEN0001"
    )
    return request


def _desk(consortium, language: str):
    from django.test import Client

    client = Client()
    client.cookies["django_language"] = language
    assert client.login(username=consortium.staff.username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Shelf slot: enter at most 32 characters (this has 500)"),
        ("zh-hans", "架位：最多输入 32 个字符（现有 500 个）"),
    ],
)
def test_a_500_character_shelf_slot_is_refused_on_the_desk_not_cut(
    consortium, picked, language, words
):
    client = _desk(consortium, language)
    url = reverse("desk:stage", args=["PKU", picked.pk])
    response = client.post(url, {"shelf_slot": "架" * 500}, follow=True)
    assert response.status_code == 200
    assert words in response.content.decode()
    picked.refresh_from_db()
    assert picked.status == RequestStatus.PICKING and picked.shelf_slot == ""


def test_a_32_character_shelf_slot_is_staged_whole(consortium, picked):
    client = _desk(consortium, "en")
    url = reverse("desk:stage", args=["PKU", picked.pk])
    client.post(url, {"shelf_slot": "架" * 32})
    picked.refresh_from_db()
    assert picked.status == RequestStatus.READY and picked.shelf_slot == "架" * 32


def test_the_staging_form_says_the_columns_length(consortium, picked):
    page = _desk(consortium, "en").get(reverse("desk:request", args=["PKU", picked.pk]))
    assert 'name="shelf_slot" id="id_shelf_slot" value="1" maxlength="32"' in page.content.decode()


def test_the_staging_service_refuses_what_the_page_and_api_would(consortium, picked):
    with pytest.raises(RuleViolation) as refused:
        services.stage(request_id=picked.pk, by=consortium.staff, shelf_slot="x" * 33)
    assert refused.value.code == "too_long"
    picked.refresh_from_db()
    assert picked.status == RequestStatus.PICKING and picked.shelf_slot == ""


def test_the_api_refuses_a_long_shelf_slot_in_chinese(consortium, picked, api_as):
    response = api_as("staff").post(
        f"/api/v1/borrow-requests/{picked.pk}/stage",
        {"shelf_slot": "x" * 500},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert "shelf_slot: 最多输入 32 个字符" in response.json()["detail"]
    picked.refresh_from_db()
    assert picked.status == RequestStatus.PICKING


# --- other services that write text themselves ---------------------------------------


def test_a_closure_reason_too_long_is_refused_on_the_desk(consortium):
    client = _desk(consortium, "zh-hans")
    response = client.post(
        reverse("desk:closure_declare", args=["PKU"]),
        {"start_date": "2030-01-07", "end_date": "2030-01-08", "reason": "因" * 201},
    )
    assert response.status_code == 422
    assert "最多输入 200 个字符（现有 201 个）" in response.content.decode()
    assert not Closure.objects.exists()


def test_the_closure_service_refuses_a_long_reason(consortium):
    with pytest.raises(RuleViolation) as refused:
        closures.declare_closure(
            library=consortium.lib,
            start_date=dt.date(2030, 1, 7),
            end_date=dt.date(2030, 1, 8),
            reason="因" * 201,
            by=consortium.staff,
        )
    assert refused.value.code == "too_long"
    assert not Closure.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("year", "1" * 17), ("publisher", "出" * 256), ("language", "chi-simplified")],
)
def test_a_record_field_too_long_is_refused_not_a_database_error(consortium, field, value):
    with pytest.raises(RuleViolation) as refused:
        catalog_services.create_record(library=consortium.lib, title="呐喊", **{field: value})
    assert refused.value.code == "too_long"
    assert not Record.objects.exists()


def test_a_numeric_year_too_long_is_refused_by_the_api(consortium, api_as):
    response = api_as("staff").post(
        "/api/v1/libraries/PKU/records", {"title": "呐喊", "year": 10**17}
    )
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "too_long"
    assert not Record.objects.exists()


def test_an_item_location_too_long_is_refused_by_the_service(consortium):
    with pytest.raises(RuleViolation):
        catalog_services.create_record(
            library=consortium.lib,
            title="呐喊",
            items=[catalog_services.ItemInput(barcode="LEN1", location="库" * 129)],
        )
    assert not Record.objects.exists()


# --- the catalogue's search box: a query too long is said, not cut and searched ----------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Enter at most 200 characters (this has 201)."),
        ("zh-hans", "最多输入 200 个字符（现有 201 个）。"),
    ],
)
def test_a_search_query_too_long_is_said_not_cut(consortium, language, words):
    from django.test import Client

    client = Client()
    client.cookies["django_language"] = language
    page = client.get("/search/", {"q": "红" * 201}).content.decode()
    assert words in page
    exact = client.get("/search/", {"q": "红" * 200}).content.decode()
    assert words.split("（")[0].split(" (")[0] not in exact


def test_a_returns_barcode_too_long_is_said_beside_the_field(consortium):
    before = _fingerprint()
    page = _desk(consortium, "zh-hans").post(
        reverse("desk:returns", args=["PKU"]), {"barcode": "9" * 65}
    )
    assert page.status_code == 400
    assert "最多输入 64 个字符（现有 65 个）" in page.content.decode()
    assert 'maxlength="64"' in page.content.decode()
    assert _fingerprint() == before


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Enter at most 150 characters (this has 151)."), ("zh-hans", "最多输入 150 个字符")],
)
def test_a_proxy_name_too_long_is_said_on_the_request_form(consortium, language, words):
    from django.test import Client

    record = catalog_services.create_record(
        library=consortium.lib, title="呐喊", items=[catalog_services.ItemInput(barcode="LEN2")]
    )
    reader = Client()
    reader.cookies["django_language"] = language
    assert reader.login(username=consortium.reader.username, password=PASSWORD)
    reader.post("/basket/add/", {"record": record.pk, "next": "/basket/"})
    before = _fingerprint()
    response = reader.post(
        "/basket/PKU/request/",
        {
            "mode": "proxy",
            "service_point": "MAIN",
            "proxy_name": "王" * 151,
            "proxy_id_number": "110101199003071234",
        },
    )
    html = response.content.decode()
    assert words in html
    assert 'id="id_proxy_name" maxlength="150"' in html
    assert _fingerprint() == before
