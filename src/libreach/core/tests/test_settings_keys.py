"""The generated keys: one per installation, whoever starts first, never readable by others."""

import multiprocessing
import os
import secrets
import stat
import subprocess
import sys
import time

import pytest

from libreach.core.keyfile import read_or_create_key

PROCESSES = 12


def _race(path, barrier, results):
    # Everyone at once, on a directory with no key yet; generating a key takes a while
    # here, so every process has found no key before any has written one.
    real = secrets.token_urlsafe
    secrets.token_urlsafe = lambda n: time.sleep(0.3) or real(n)
    barrier.wait()
    results.put(read_or_create_key(path))


def test_processes_starting_at_once_agree_on_the_key(tmp_path):
    path = tmp_path / "home" / "secret_key"
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [
        context.Process(target=_race, args=(path, barrier, results)) for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert len(set(keys)) == 1 and len(keys[0]) >= 50
    assert path.read_text() == keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(path.parent) == ["secret_key"]  # no temporary file left behind
    assert read_or_create_key(path) == keys[0]  # and it is kept


def test_settings_in_parallel_processes_share_the_generated_keys(tmp_path):
    # What gunicorn's workers and the worker do on a fresh installation: import the
    # settings at the same moment with no key given.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"LIBREACH_SECRET_KEY", "LIBREACH_ID_HASH_KEY"}
    }
    env["LIBREACH_HOME"] = str(tmp_path)
    code = "import libreach.settings as s; print(s.SECRET_KEY, s.LIBREACH_ID_HASH_KEY)"
    starts = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(PROCESSES)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in starts}
    assert all(process.returncode == 0 for process in starts)
    kept = [(tmp_path / name).read_text() for name in ("secret_key", "id_hash_key")]
    assert keys == {" ".join(kept)} and kept[0] != kept[1]
    for name in ("secret_key", "id_hash_key"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600


def test_an_empty_key_file_is_not_a_key(tmp_path, monkeypatch):
    # A reader waits for a writer that is mid-write, then says what is wrong.
    monkeypatch.setattr("libreach.core.keyfile.EMPTY_FILE_WAIT_SECONDS", 0.1)
    path = tmp_path / "secret_key"
    path.write_text("")
    with pytest.raises(RuntimeError, match="is empty"):
        read_or_create_key(path)
