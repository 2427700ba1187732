"""Production settings: Django's deploy check finds nothing, a missing setting stops the
start with a sentence saying which, and every page carries a Content-Security-Policy."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from libreach.catalog.services import ItemInput, create_record
from libreach.testing.browser import Page, expect
from libreach.testing.fixtures import PASSWORD

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def production_env(tmp_path, **changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBREACH_")}
    env.update(
        LIBREACH_HOME=str(tmp_path),
        LIBREACH_PRODUCTION="1",
        LIBREACH_ALLOWED_HOSTS="lib.example.edu.cn",
        LIBREACH_SECRET_KEY=secrets.token_urlsafe(50),
        LIBREACH_ID_HASH_KEY=secrets.token_urlsafe(50),
    )
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def libreach(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "libreach", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_reports_nothing_in_production(tmp_path):
    done = libreach(production_env(tmp_path), "check", "--deploy", "--fail-level", "DEBUG")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "System check identified no issues (1 silenced).", done.stdout


def production_settings(tmp_path, names: str, **changes: str | None) -> str:
    code = f"from django.conf import settings as s; print([getattr(s, n) for n in {names.split()}])"
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="libreach.settings", **changes)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() or done.stderr


def test_the_production_settings(tmp_path):
    names = (
        "SECURE_PROXY_SSL_HEADER SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE "
        "SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS DEBUG ALLOWED_HOSTS "
        "SILENCED_SYSTEM_CHECKS"
    )
    assert production_settings(tmp_path, names) == str(
        [("HTTP_X_FORWARDED_PROTO", "https"), True, True, True, 31536000, True, False]
        + [["lib.example.edu.cn"], ["security.W021"]]
    )
    # HSTS preload (W021) is left to the site's owner, and silenced for that reason alone.
    preload = production_settings(
        tmp_path, "SECURE_HSTS_PRELOAD SILENCED_SYSTEM_CHECKS", LIBREACH_HSTS_PRELOAD="1"
    )
    assert preload == "[True, []]"


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    done = libreach(production_env(tmp_path, LIBREACH_ALLOWED_HOSTS=None), "check")
    assert done.returncode != 0
    assert (
        "django.core.exceptions.ImproperlyConfigured: libreach will not start in production: "
        "LIBREACH_ALLOWED_HOSTS is not set: give the host names the site answers to"
    ) in done.stderr, done.stderr
    assert not (tmp_path / "secret_key").exists()  # refused before generating anything


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"LIBREACH_ALLOWED_HOSTS": " , "}, "LIBREACH_ALLOWED_HOSTS is not set"),
        ({"LIBREACH_SECRET_KEY": None}, "LIBREACH_SECRET_KEY is not set"),
        ({"LIBREACH_ID_HASH_KEY": None}, "LIBREACH_ID_HASH_KEY is not set"),
        ({"LIBREACH_DEBUG": "1"}, "LIBREACH_DEBUG is on"),
    ],
    ids=["blank-hosts", "no-secret-key", "no-id-hash-key", "debug"],
)
def test_production_refuses_to_start_without_what_it_needs(
    tmp_path, monkeypatch, changes, sentence
):
    # The settings module run afresh in this process, as a start would run it.
    monkeypatch.setattr(os, "environ", production_env(tmp_path, **changes))
    with pytest.raises(ImproperlyConfigured, match=f"will not start in production: {sentence}"):
        runpy.run_path(str(settings.BASE_DIR / "settings.py"))
    assert not (tmp_path / "secret_key").exists()


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in header.split("; ")}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/search/?q=x", "/accounts/login/", "/api/v1/docs", "/api/v1/openapi.json"]
)
def test_pages_carry_the_content_security_policy(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'" and "'unsafe-inline'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_an_inline_script_runs_by_the_responses_nonce(consortium):
    # The request form's one inline script (which fields a mode shows).
    record = create_record(library=consortium.lib, title="红楼梦", items=[ItemInput(barcode="P1")])
    client = Client()
    client.login(username=consortium.reader.username, password=PASSWORD)
    client.post("/basket/add/", {"record": record.pk})
    response = client.get(f"/basket/{consortium.lib.code}/request/")
    assert response.status_code == 200
    nonces = re.findall(r'<script nonce="([^"]+)">', response.content.decode())
    assert len(nonces) == 1 and csp(response)["script-src"] == ["'self'", f"'nonce-{nonces[0]}'"]
    # A nonce is never reused: the next response has its own.
    again = re.findall(
        r'<script nonce="([^"]+)">', client.get(response.request["PATH_INFO"]).content.decode()
    )
    assert again != nonces


def test_templates_have_no_inline_script_without_a_nonce_nor_inline_handlers():
    problems = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and "nonce=" not in tag and "application/json" not in tag:
                problems.append(f"{template.relative_to(TEMPLATES)}: {tag}")
        for handler in re.findall(r"<[^>]*\son[a-z]+\s*=", text):
            problems.append(f"{template.relative_to(TEMPLATES)}: {handler}")
    assert not problems


@pytest.mark.browser
def test_the_api_docs_work_under_the_policy(desktop_page: Page, live_server):
    # Swagger UI from the package's static files: a console error would be a blocked script.
    desktop_page.goto("/api/v1/docs")
    expect(desktop_page.locator(".swagger-ui .info .title")).to_be_visible()
    expect(desktop_page.locator(".opblock").first).to_be_visible()
