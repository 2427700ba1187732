"""Schemas shared by every router."""

from ninja import Schema


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
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
