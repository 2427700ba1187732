"""Page cases of e-resources: the reader guide's pages (reader_pages.py) and the desk's
(desk_pages.py)."""

from libreach.eresources.tests.desk_pages import CASES as DESK_CASES
from libreach.eresources.tests.reader_pages import CASES as READER_CASES

CASES = READER_CASES + DESK_CASES
