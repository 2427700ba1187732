"""The demo's e-mail backend: the demo's log gets one line per message (to whom, the
subject, where it is kept) instead of the console backend's whole message, headers,
MIME parts and all, for every notice the worker sends; the whole messages are kept in
files under $LIBREACH_HOME/mail/, as Django's file-based backend writes them."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.mail.backends import filebased


class DemoEmailBackend(filebased.EmailBackend):
    def __init__(self, *args, file_path: str | None = None, stream=None, **kwargs) -> None:
        super().__init__(
            *args, file_path=file_path or str(settings.LIBREACH_HOME / "mail"), **kwargs
        )
        self.log = stream or sys.stdout

    def write_message(self, message) -> None:
        super().write_message(message)
        self.log.write(
            f"e-mail to {', '.join(message.recipients())}: {message.subject} "
            f"(kept in {self._fname})\n"
        )
        self.log.flush()
