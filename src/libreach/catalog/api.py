"""Catalogue routes: adding records to a library, and searching."""

from typing import Annotated

from ninja import Field, Query, Router, Schema, Status

from libreach.catalog import selectors, services
from libreach.catalog.models import Record
from libreach.consortium.selectors import library_by_code
from libreach.core import lengths
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut

router = Router(tags=["catalogue"])


class ItemIn(Schema):
    barcode: str = lengths.schema_field("catalog.Item", "barcode", min_length=1)
    location: str = lengths.schema_field("catalog.Item", "location", "")
    call_number: str = lengths.schema_field("catalog.Item", "call_number", "")
    volume: str = lengths.schema_field("catalog.Item", "volume", "")


class RecordIn(Schema):
    title: str = Field(min_length=1)
    authors: list[str] = Field(default_factory=list)
    isbn: str | None = Field(None, max_length=32)
    publisher: str = lengths.schema_field("catalog.Record", "publisher", "")
    year: Annotated[str, lengths.schema_field("catalog.Record", "year")] | int | None = None
    language: str = lengths.schema_field("catalog.Record", "language", "")
    call_number: str = lengths.schema_field("catalog.Record", "call_number", "")
    items: list[ItemIn] = Field(default_factory=list, max_length=500)


class ItemStatusOut(Schema):
    barcode: str
    status: str


class RecordCreatedOut(Schema):
    id: int
    items: list[ItemStatusOut]


class ItemOut(Schema):
    barcode: str
    volume: str
    status: str
    location: str
    call_number: str


class RecordOut(Schema):
    id: int
    title: str
    authors: list[str]
    isbn: str | None
    call_number: str
    library: str = Field(alias="library.code")
    publisher: str
    year: str
    language: str
    items: list[ItemOut]

    @staticmethod
    def resolve_isbn(obj: Record) -> str | None:
        return obj.isbn or None

    @staticmethod
    def resolve_items(obj: Record) -> list:
        return list(obj.items.all())


class SearchOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[RecordOut]


class SearchParams(Schema):
    q: str = Field("", max_length=200)
    library: str | None = None
    available: bool = False
    page: int = Field(1, ge=1, le=10_000)
    page_size: int = Field(20, ge=1, le=100)


@router.post(
    "/libraries/{lib}/records",
    response={201: RecordCreatedOut, **WRITE_ERRORS},
    summary="Catalogue a record with its items",
)
def create_record(request, lib: str, payload: RecordIn):
    library = library_by_code(lib)
    data = payload.dict()
    items = [services.ItemInput(**item) for item in data.pop("items")]
    record = services.create_record(library=library, items=items, **data, by=request.auth)
    return Status(
        201,
        {
            "id": record.id,
            "items": [
                {"barcode": b, "status": s}
                for b, s in record.items.order_by("id").values_list("barcode", "status")
            ],
        },
    )


@router.get(
    "/catalog/search",
    response={200: SearchOut, 404: ErrorOut, 422: ErrorOut},
    auth=None,
    summary="Search the consortium's catalogue",
)
def search(request, params: Query[SearchParams]):
    library = library_by_code(params.library) if params.library else None
    return selectors.search_records(
        query=params.q,
        library=library,
        available_only=params.available,
        page=params.page,
        page_size=params.page_size,
    )


@router.get(
    "/catalog/records/{record_id}",
    response={200: RecordOut, **READ_ERRORS},
    auth=None,
    summary="One record with its items and their availability",
)
def get_record(request, record_id: int):
    return selectors.record_with_items(record_id)
