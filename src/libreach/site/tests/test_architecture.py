"""The dependency order of docs/architecture.md holds: import-linter's contracts in
pyproject.toml ([tool.importlinter]) are kept."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]

LINT = """
import sys
from importlinter.cli import lint_imports
sys.exit(lint_imports(config_filename="pyproject.toml", no_cache=True, no_logo=True))
"""


def test_no_module_imports_one_above_it_and_no_cycles():
    assert (ROOT / "pyproject.toml").is_file(), f"no pyproject.toml in {ROOT}"
    # A process of its own: import-linter puts the working directory on sys.path.
    run = subprocess.run(
        [sys.executable, "-c", LINT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 broken" in run.stdout, run.stdout
