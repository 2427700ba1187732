"""Reader pages of the catalogue: home, search results, and a record with its items."""

from dataclasses import dataclass

from django.http import Http404, QueryDict
from django.shortcuts import render

from libreach.catalog import selectors
from libreach.catalog.models import ItemStatus, Record
from libreach.consortium.selectors import all_libraries
from libreach.core import lengths
from libreach.core.errors import NotFound

PAGE_SIZE = 20
# Longer input is not a search anyone types; cutting it keeps the query plan cheap.
MAX_QUERY_LENGTH = 200
SEARCH_PARAMS = ("q", "library", "available", "page")


@dataclass(frozen=True)
class Holdings:
    available: int
    total: int


def _holdings(record: Record) -> Holdings:
    # Counts the prefetched items in Python, so a page of results costs no extra queries.
    items = record.items.all()
    available = sum(1 for item in items if item.status == ItemStatus.AVAILABLE)
    return Holdings(available=available, total=len(items))


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _search_params(request) -> str:
    # Carried to the record page so "back to results" returns to the same page of results.
    params = QueryDict(mutable=True)
    for name in SEARCH_PARAMS:
        if request.GET.get(name):
            params[name] = request.GET[name]
    return params.urlencode()


def home(request):
    return render(request, "catalog/home.html")


def search(request):
    libraries = list(all_libraries())
    query = request.GET.get("q", "").strip()
    # Longer than the box allows (a hand-made URL): said, not cut and searched.
    too_long = len(query) > MAX_QUERY_LENGTH
    code = request.GET.get("library", "")
    library = next((lib for lib in libraries if lib.code == code), None)
    available_only = request.GET.get("available") in {"1", "true", "on"}
    context = {
        "query": query,
        "libraries": libraries,
        "library": library,
        "unknown_library": code if code and library is None else "",
        "available_only": available_only,
        "back": _search_params(request),
        "query_error": too_long
        and lengths.FORM_TOO_LONG % {"limit_value": MAX_QUERY_LENGTH, "show_value": len(query)},
    }
    if query and not too_long:
        found = selectors.search_records(
            query=query,
            library=library,
            available_only=available_only,
            page=_page_number(request.GET.get("page")),
            page_size=PAGE_SIZE,
        )
        num_pages = max(1, -(-found.count // found.page_size))
        if found.page > num_pages:
            # A stale link past the end shows the last page, as Paginator.get_page does.
            found = selectors.search_records(
                query=query,
                library=library,
                available_only=available_only,
                page=num_pages,
                page_size=PAGE_SIZE,
            )
        context.update(
            found=found,
            rows=[(record, _holdings(record)) for record in found.results],
            num_pages=num_pages,
            first_index=(found.page - 1) * found.page_size + 1,
            last_index=(found.page - 1) * found.page_size + len(found.results),
        )
    return render(request, "catalog/search.html", context)


def record_detail(request, record_id: int):
    try:
        record = selectors.record_with_items(record_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "catalog/record.html",
        {
            "record": record,
            "items": record.items.all(),
            "holdings": _holdings(record),
            "back": _search_params(request),
        },
    )
