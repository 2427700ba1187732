"""Keys generated once per installation and kept in a file (the secret key, the ID hash key).

Settings import this before Django is set up, so it uses nothing but the standard library.

Several processes (gunicorn workers, `libreach worker`, a management command) can start at
the same moment on a fresh installation, and all must end up with the same key: a session
signed by one worker must be read by the next. So the key is written whole to a private
temporary file (created with O_CREAT|O_EXCL, mode 0600, then fsync'd) and hard-linked into
place: `link` fails if the name exists, so exactly one writer wins, and no reader can ever
see the file half-written. The losers read the winner's key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path

# A reader that finds an empty file (left by a writer of an older version that wrote in
# place) waits this long for the writer to finish before giving up.
EMPTY_FILE_WAIT_SECONDS = 5.0


def read_or_create_key(path: Path, *, nbytes: int = 50) -> str:
    """The key kept at `path`, created (URL-safe text from `nbytes` random bytes) if absent."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(nbytes)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, key.encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _read(path)  # another process won the race: use its key
    finally:
        os.unlink(temporary)
    _fsync_directory(path.parent)  # the new name survives a power cut too
    return key


def _read(path: Path) -> str:
    deadline = time.monotonic() + EMPTY_FILE_WAIT_SECONDS
    while True:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        if time.monotonic() > deadline:
            raise RuntimeError(f"the key file {path} is empty; remove it to generate a new key")
        time.sleep(0.05)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
