"""Settings for bench/crash.py: libreach's own, with e-mail written to files.

Django's file-based backend keeps every message the web processes and the worker send in
a directory that outlives them, so the run can count the messages sent for each notice.
"""

import os

from libreach.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["LIBREACH_CRASH_MAIL_DIR"]
