"""libreach import-readers: rows in, readers out; bad rows reported by line, the rest go on."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from libreach.accounts.models import ReaderProfile

HEADER = "card_number,name,reader_type,department,building,email,phone\n"


def run(path: Path, library: str = "PKU") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_readers", str(path), library=library, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "readers.csv"
    path.write_text(header + body, encoding="utf-8-sig")
    return path


def test_imports_and_reports_bad_rows_by_line(consortium, tmp_path):
    path = write(
        tmp_path,
        "2021000101,陈一,undergraduate,物理学院,DORM1,chen1@example.edu.cn,13800000001\n"
        "2021000102,陈二,alumni,物理学院,,,\n"  # line 3: unknown type
        "2021000103,陈三,faculty,历史学系,NOWHERE,,\n"  # line 4: unknown building
        ",无卡号,graduate,,,,\n"  # line 5: no card number
        "2021000104,陈四,graduate,化学学院,,not-an-email,\n"  # line 6: bad e-mail
        "2021000105,陈五,staff,后勤处,,,\n",
    )
    out, err = run(path)
    assert "read 6, imported 2, updated 0, skipped 4" in out
    assert "line 3 (2021000102)" in err and "alumni" in err
    assert "line 4 (2021000103)" in err
    assert "line 5 (no card number)" in err
    assert "line 6 (2021000104)" in err
    reader = ReaderProfile.objects.select_related("user", "building").get(card_number="2021000101")
    assert (reader.user.name, reader.reader_type, reader.building.code, reader.phone) == (
        "陈一",
        "undergraduate",
        "DORM1",
        "13800000001",
    )
    assert not reader.user.has_usable_password()
    assert set(ReaderProfile.objects.values_list("card_number", flat=True)) >= {
        "2021000101",
        "2021000105",
    }
    assert not ReaderProfile.objects.filter(card_number__in=["2021000102", "2021000104"]).exists()


def test_reimport_updates_and_never_duplicates(consortium, tmp_path):
    path = write(tmp_path, "2021000201,周一,undergraduate,数学学院,,,\n")
    run(path)
    path = write(tmp_path, "2021000201,周一,graduate,数学学院,DORM1,,\n")
    out, _ = run(path)
    assert "imported 0, updated 1" in out
    reader = ReaderProfile.objects.get(card_number="2021000201")
    assert reader.reader_type == "graduate"
    assert reader.building.code == "DORM1"
    assert ReaderProfile.objects.filter(card_number="2021000201").count() == 1


def test_card_of_another_library_is_not_taken_over(consortium, tmp_path):
    path = write(tmp_path, "2020000001,冒名,faculty,,,,\n")
    with pytest.raises(CommandError) as exc:
        run(path, library="BLCU")
    assert exc.value.returncode == 1
    reader = ReaderProfile.objects.get(card_number="2020000001")
    assert reader.library.code == "PKU" and reader.user.name == "张三"


def test_password_column_lets_the_reader_sign_in(consortium, tmp_path):
    path = write(
        tmp_path,
        "2021000301,吴一,faculty,,,,,Reach-2020-demo\n",
        header=HEADER.strip() + ",password\n",
    )
    run(path)
    assert ReaderProfile.objects.get(card_number="2021000301").user.check_password(
        "Reach-2020-demo"
    )


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (lambda tmp: (tmp / "missing.csv", "PKU"), 2),
        (lambda tmp: (write(tmp, ""), "NOPE"), 2),
        (lambda tmp: (write(tmp, "x,y\n", header="card,name\n"), "PKU"), 2),
        (lambda tmp: (write(tmp, ""), "PKU"), 1),
    ],
    ids=["missing file", "unknown library", "missing columns", "nothing to import"],
)
def test_exit_codes(consortium, tmp_path, setup, code):
    path, library = setup(tmp_path)
    with pytest.raises(CommandError) as exc:
        run(path, library=library)
    assert exc.value.returncode == code
