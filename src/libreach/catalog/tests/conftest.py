"""Catalogue test fixtures: real MARC files (pymarc's samples)."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
GET_MARC_DATA = REPO / "scripts" / "get-marc-data.sh"


def _missing(reason: str) -> None:
    # A test that needs a missing tool or file fails in CI and is skipped elsewhere.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def marc_samples() -> Path:
    """The directory of pymarc's sample files (marc.dat, testunimarc.dat, batch.xml, ...).

    From $LIBREACH_MARC_DIR, else <repo>/.cache/marc; fetched there by
    scripts/get-marc-data.sh when missing.
    """
    base = Path(os.environ.get("LIBREACH_MARC_DIR") or REPO / ".cache" / "marc")
    samples = base / "test"
    if not (samples / "marc.dat").is_file():
        if not GET_MARC_DATA.is_file():
            _missing(f"no MARC samples in {base} and no {GET_MARC_DATA} to fetch them")
        try:
            fetched = subprocess.run(
                ["bash", str(GET_MARC_DATA), str(base)],
                capture_output=True,
                text=True,
                timeout=900,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _missing(f"could not fetch the MARC samples: {exc}")
        if fetched.returncode != 0 or not (samples / "marc.dat").is_file():
            _missing(f"could not fetch the MARC samples: {fetched.stderr.strip()[-500:]}")
    return samples
