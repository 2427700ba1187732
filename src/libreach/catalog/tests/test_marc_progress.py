"""`libreach import-marc`'s progress where its output is not a terminal (a pipe, a log,
cron): a line at each tenth of the file, no terminal codes; none with --no-progress."""

import io
import re

from django.core.management import call_command


def test_piped_import_prints_a_line_per_tenth_and_no_terminal_codes(library, marc_samples):
    err = io.StringIO()  # not a terminal, as a pipe or a log file
    call_command(
        "import_marc",
        str(marc_samples / "marc.dat"),
        "--library",
        "PKU",
        "--batch-size",
        "2",
        stdout=io.StringIO(),
        stderr=err,
    )
    lines = err.getvalue().splitlines()
    assert "\x1b" not in err.getvalue() and "\r" not in err.getvalue()
    percents = [int(re.match(r"marc\.dat: (\d+)% \(", line).group(1)) for line in lines]
    assert 2 <= len(percents) <= 10  # sparse: ten batches, at most one line a tenth
    assert percents == sorted(set(percents)) and percents[-1] == 100


def test_no_progress_prints_no_progress(library, marc_samples):
    err = io.StringIO()
    call_command(
        "import_marc",
        str(marc_samples / "marc.dat"),
        "--library",
        "PKU",
        "--no-progress",
        stdout=io.StringIO(),
        stderr=err,
    )
    assert err.getvalue() == ""
