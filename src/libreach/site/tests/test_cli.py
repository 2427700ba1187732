"""The `libreach` command line (issue 7, item 6): its help says what libreach is and lists
libreach's commands first, hyphenated, each with a line saying what it does, Django's
after; either spelling works; long commands show progress that a pipe or a log can take;
the demo logs one line per e-mail."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command, get_commands

from libreach import cli
from libreach.core.progress import CommandProgress
from libreach.site.demo import Login
from libreach.site.demo_mail import DemoEmailBackend

OURS = ["demo", "import-marc", "import-readers", "worker"]


def libreach(*args: str) -> subprocess.CompletedProcess:
    """The command line as a user runs it (python -m libreach is the console script)."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "libreach", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = 0
    try:
        cli.main(["libreach", *args])
    except SystemExit as exit:
        code = exit.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_the_help_says_what_libreach_is_and_lists_its_commands_first():
    done = libreach("--help")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("libreach keeps a closed academic library serving its readers")
    ours_at = text.index("libreach's commands:")
    django_at = text.index("Django's commands")
    assert ours_at < django_at
    listed = re.findall(r"^  ([a-z][a-z-]*)  +(\S.*)$", text[ours_at:django_at], re.M)
    assert all(len(line) > 20 for _, line in listed)  # each says what it does
    # Every command libreach's apps define is there, and only those, before Django's.
    defined = sorted(
        name.replace("_", "-") for name, app in get_commands().items() if app.startswith("libreach")
    )
    assert [name for name, _ in listed] == defined
    assert set(OURS) <= set(defined)
    for django_command in ("migrate", "createsuperuser", "runserver", "collectstatic"):
        assert re.search(rf"\b{django_command}\b", text[django_at:])
        assert not re.search(rf"\b{django_command}\b", text[:django_at])


def test_the_readme_and_the_operations_guide_name_every_command():
    repo = Path(settings.BASE_DIR).parent.parent
    readme = (repo / "README.md").read_text()
    guide = (repo / "docs" / "operations.md").read_text()
    assert "`libreach --help`" in readme and "`libreach --help`" in guide
    for name, app in get_commands().items():
        if app.startswith("libreach"):
            spelt = name.replace("_", "-")
            assert f"`{spelt}`" in readme or f"libreach {spelt}" in readme, spelt
            assert f"| `libreach {spelt}" in guide, spelt  # a row of its command table


def test_no_arguments_help_and_dash_h_give_the_same_help(capsys):
    texts = {run_main(capsys, *args)[1] for args in ([], ["help"], ["-h"], ["--help"])}
    assert len(texts) == 1 and "libreach's commands:" in texts.pop()


@pytest.mark.parametrize(
    "args",
    [
        ["help", "import-marc"],
        ["help", "import_marc"],
        ["import-marc", "--help"],
        ["import_marc", "--help"],
    ],
)
def test_a_commands_help_under_either_spelling(capsys, args):
    code, out, _ = run_main(capsys, *args)
    assert code == 0
    assert out.startswith("usage: libreach import-marc ")
    assert "--library" in out and "--no-progress" in out


def test_either_spelling_runs_the_command(capsys, tmp_path):
    # A bad --format is refused by the command itself (exit 2), before any database work:
    # the command was found and run.
    for name in ("import-marc", "import_marc"):
        code, _, err = run_main(
            capsys, name, str(tmp_path / "x.mrc"), "--library", "PKU", "--format", "x"
        )
        assert code == 2 and "Unknown --format 'x'" in err


def test_an_unknown_command_exits_2_with_a_suggestion(capsys):
    code, _, err = run_main(capsys, "imprt-marc")
    assert code == 2
    assert "Did you mean import-marc?" in err


# --- progress ---------------------------------------------------------------------------


def test_reader_import_shows_progress(consortium, tmp_path):
    csv = tmp_path / "readers.csv"
    rows = [f"2026{n:04},读者{n},undergraduate" for n in range(30)]
    csv.write_text("card_number,name,reader_type\n" + "\n".join(rows) + "\n")
    err, out = io.StringIO(), io.StringIO()
    call_command("import_readers", str(csv), library=consortium.lib.code, stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0] == "readers.csv: 10% (3 readers of 30 readers)"
    assert len(lines) == 10 and lines[-1].startswith("readers.csv: 100% ")
    assert "imported 30" in out.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_and_no_lines():
    screen = Terminal()
    with CommandProgress(screen) as progress:
        advance = progress.task("books.mrc", total=1000, unit="bytes")
        for done in range(0, 1001, 100):
            advance(done)
        progress.print("a problem")
    assert "a problem" in screen.getvalue()
    assert "books.mrc: 10%" not in screen.getvalue()  # no progress lines on a terminal


def test_the_demo_loads_with_progress_and_its_lines(db, monkeypatch):
    from libreach.site.management.commands import demo

    def fake_load_demo(*, stdout, progress):
        advance = progress("  PKU: books")
        advance(50, 100)
        advance(100, 100)
        stdout.write("  PKU: books: read 2")
        return [Login("reader", "2020", "secret")]

    monkeypatch.setattr(demo, "load_demo", fake_load_demo)
    monkeypatch.setattr(demo, "call_command", lambda *a, **k: None)  # no migrate
    monkeypatch.setattr(demo, "connection", SimpleNamespace(vendor="sqlite"))  # on PostgreSQL too
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    # In a log, the demo's line after each catalogue file is its progress: no percentages.
    assert "  PKU: books: read 2" in out.getvalue() and "%" not in out.getvalue()
    assert out.getvalue().index("read 2") < out.getvalue().index("libreach demo: http")


# --- the demo's e-mail ------------------------------------------------------------------


def test_the_demo_logs_one_line_per_email_and_keeps_the_message(tmp_path):
    log = io.StringIO()
    connection = DemoEmailBackend(file_path=str(tmp_path), stream=log)
    messages = [
        mail.EmailMessage(
            "您借的书已可取", "第一行\n第二行\n" * 20, "lib@example.edu.cn", ["a@example.edu.cn"]
        ),
        mail.EmailMessage(
            "Closure", "Long text\n" * 50, "lib@example.edu.cn", ["b@example.edu.cn", "c@x.cn"]
        ),
    ]
    assert connection.send_messages(messages) == 2
    lines = log.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("e-mail to a@example.edu.cn: 您借的书已可取 (kept in ")
    assert lines[1].startswith("e-mail to b@example.edu.cn, c@x.cn: Closure (kept in ")
    kept = "".join(p.read_text() for p in Path(tmp_path).iterdir())
    assert "Subject: =?utf-8?" in kept and "Long text" in kept


def test_the_demo_uses_the_one_line_backend(monkeypatch):
    monkeypatch.delenv("LIBREACH_EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgres://elsewhere/db")
    cli.prepare_demo_environment([])
    assert os.environ["LIBREACH_EMAIL_BACKEND"] == "libreach.site.demo_mail.DemoEmailBackend"
    assert "DATABASE_URL" not in os.environ


def test_a_notice_sent_in_the_demo_is_one_line(settings, capsys, tmp_path):
    settings.EMAIL_BACKEND = "libreach.site.demo_mail.DemoEmailBackend"
    settings.LIBREACH_HOME = tmp_path
    mail.send_mail("Ready", "body line\n" * 30, "lib@example.edu.cn", ["r@example.edu.cn"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("e-mail to r@example.edu.cn: Ready ")
    assert (tmp_path / "mail").is_dir()
