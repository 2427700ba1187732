"""Schemas shared by every router."""

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination


class ErrorOut(Schema):
    error: str
    detail: str


# The error statuses a write route may answer with, for the OpenAPI document.
WRITE_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
# 400: a NUL character anywhere (core.middleware); 422: a path or query parameter of the
# wrong type, or a required one missing.
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

# The days and moments a route takes for the library's calendar (closures, due dates,
# slots, runs). Services add days and turn instants into local time: at 9999-12-31 the
# next day overflows, and before 1901 Asia/Shanghai's local time is +08:05:43, which no
# RFC 3339 date-time can write. Nothing a library plans falls outside these.
FIRST_DAY = dt.date(1901, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
Moment = Annotated[
    dt.datetime,
    Field(
        ge=dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=dt.UTC),
        le=dt.datetime.combine(LAST_DAY, dt.time(), tzinfo=dt.UTC),
    ),
]


class LimitOffset(LimitOffsetPagination):
    """Ninja's limit and offset with bounds a database takes: beyond a 64-bit integer
    SQLite and PostgreSQL refuse the query (a 500), and no page is that long."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=500)
        offset: int = Field(0, ge=0, le=2**31 - 1)
