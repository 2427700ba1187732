import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
application = get_wsgi_application()
_ = get_resolver().url_patterns  # imports every view now, not during the first request

# Everything loaded so far (Django, the apps, the URL map, the templates' code) lives as
# long as the process: moved out of the collector's reach, so that a full collection
# during a request walks only that request's objects (the slow scans' tail at the desk).
gc.collect()
gc.freeze()
