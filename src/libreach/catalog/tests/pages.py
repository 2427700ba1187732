"""Page cases of the catalogue: the reader's home, search and record pages are public."""

from libreach.catalog.tests.permissions import with_record
from libreach.testing.pages import PUBLIC, PageCase

CASES = [
    PageCase("GET", "", expect=PUBLIC),
    PageCase("GET", "search/", data={"q": "红楼"}, setup=with_record, expect=PUBLIC),
    PageCase("GET", "records/<int:record_id>/", setup=with_record, expect=PUBLIC),
]
