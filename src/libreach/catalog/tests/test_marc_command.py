"""`libreach import-marc`: arguments, exit codes and what it prints."""

import os
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from libreach.catalog.models import Record


def run(*args):
    out, err = StringIO(), StringIO()
    # Problems only: progress lines are tested with the command line (site/tests/test_cli.py).
    call_command("import_marc", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exit_code(*args) -> int:
    with pytest.raises(CommandError) as failure:
        run(*args)
    return failure.value.returncode


def test_import_prints_a_summary(library, marc_samples):
    out, err = run(str(marc_samples / "marc.dat"), "--library", "PKU")
    assert "marc.dat → PKU: read 20, imported 20, updated 0, skipped 0" in out
    assert err == ""
    out, _ = run(str(marc_samples / "marc.dat"), "--library", "PKU")
    assert "read 20, imported 0, updated 20, skipped 0" in out
    assert Record.objects.filter(library=library).count() == 20


def test_bad_records_are_printed_with_their_position(library, marc_samples):
    out, err = run(str(marc_samples / "bad_records.mrc"), "--library", "PKU")
    assert "read 9, imported 1, updated 1, skipped 7" in out
    lines = err.strip().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("record 2 (byte 127): skipped: BaseAddressInvalid")
    assert lines[-1].startswith("record 9 (byte 917): skipped: truncated")


def test_bad_arguments_exit_with_2(library, marc_samples, tmp_path):
    marc = str(marc_samples / "marc.dat")
    assert exit_code(marc, "--library", "NOPE") == 2
    assert exit_code(str(tmp_path / "missing.mrc"), "--library", "PKU") == 2
    assert exit_code(str(tmp_path), "--library", "PKU") == 2  # a directory
    assert exit_code(marc, "--library", "PKU", "--format", "cnmarc") == 2
    assert exit_code(marc, "--library", "PKU", "--batch-size", "0") == 2
    assert not Record.objects.exists()


def test_nothing_imported_exits_with_1(library, marc_samples, tmp_path):
    unimarc = str(marc_samples / "testunimarc.dat")
    assert exit_code(unimarc, "--library", "PKU", "--format", "marc21") == 1
    empty = tmp_path / "empty.mrc"
    empty.write_bytes(b"")
    assert exit_code(str(empty), "--library", "PKU") == 1
    # The forced format works the other way.
    out, _ = run(unimarc, "--library", "PKU", "--format", "unimarc")
    assert "imported 1" in out


@pytest.fixture
def libreach_home(tmp_path):
    """A fresh SQLite installation for the console script, whatever the tests run on."""
    script = shutil.which("libreach")
    if script is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the libreach console script is not installed")
        pytest.skip("the libreach console script is not installed (pip install -e .)")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LIBREACH_HOME"] = str(tmp_path / "home")

    def libreach(*args):
        return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)

    assert libreach("migrate", "--verbosity", "0").returncode == 0
    made = libreach(
        "shell",
        "-c",
        "from libreach.consortium.services import create_library; "
        "create_library(code='PKU', name='PKU')",
    )
    assert made.returncode == 0, made.stderr
    return libreach


def test_console_script_exit_codes(libreach_home, marc_samples, tmp_path):
    marc = str(marc_samples / "marc.dat")
    done = libreach_home("import-marc", marc, "--library", "PKU")
    assert done.returncode == 0, done.stderr
    assert "read 20, imported 20" in done.stdout

    unknown = libreach_home("import-marc", marc, "--library", "NOPE")
    assert unknown.returncode == 2
    assert "没有代码为 'NOPE' 的图书馆" in unknown.stderr  # commands speak the site's language
    assert libreach_home("import-marc", marc, "--library", "PKU", "--format", "x").returncode == 2
    assert (
        libreach_home("import-marc", str(tmp_path / "no.mrc"), "--library", "PKU").returncode == 2
    )
    assert libreach_home("import-marc", marc).returncode == 2  # --library is required

    bad_only = tmp_path / "bad.mrc"
    bad_only.write_bytes((marc_samples / "bad_records.mrc").read_bytes()[127:764])
    nothing = libreach_home("import-marc", str(bad_only), "--library", "PKU")
    assert nothing.returncode == 1
    assert "read 5, imported 0, updated 0, skipped 5" in nothing.stdout
    assert "record 1 (byte 0): skipped: BaseAddressInvalid" in nothing.stderr
