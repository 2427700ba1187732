"""Routes for signing in and for the people of a library."""

import datetime as dt
from typing import Literal

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from libreach.accounts import selectors, services
from libreach.accounts.auth import anonymous_throttle, bearer_token, sign_in_throttle
from libreach.accounts.models import ReaderProfile
from libreach.consortium.selectors import library_by_code
from libreach.core import lengths
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, ErrorOut, LimitOffset

router = Router(tags=["accounts"])


class TokenIn(Schema):
    username: str = lengths.schema_field("accounts.User", "username", min_length=1)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime


class StaffIn(Schema):
    username: str = lengths.schema_field("accounts.User", "username", min_length=1)
    password: str = Field(min_length=1, max_length=128)
    name: str = lengths.schema_field("accounts.User", "name", min_length=1)
    role: Literal["circulation", "reference", "admin", "volunteer"]
    email: str = lengths.schema_field("accounts.User", "email", "")


class StaffOut(Schema):
    id: int = Field(alias="user.id")
    username: str = Field(alias="user.username")
    name: str = Field(alias="user.name")
    library: str = Field(alias="library.code")
    role: str


class ReaderIn(Schema):
    card_number: str = lengths.schema_field("accounts.ReaderProfile", "card_number", min_length=1)
    name: str = lengths.schema_field("accounts.User", "name", min_length=1)
    reader_type: Literal["undergraduate", "graduate", "faculty", "staff"]
    building: str | None = lengths.schema_field("consortium.Building", "code", None)
    department: str = lengths.schema_field("accounts.ReaderProfile", "department", "")
    email: str = lengths.schema_field("accounts.User", "email", "")
    phone: str = lengths.schema_field("accounts.ReaderProfile", "phone", "")
    password: str = Field(min_length=1, max_length=128)


class ReaderOut(Schema):
    id: int = Field(alias="user.id")
    card_number: str
    name: str = Field(alias="user.name")
    library: str = Field(alias="library.code")
    reader_type: str
    department: str
    building: str | None = None
    email: str = Field(alias="user.email")
    phone: str

    @staticmethod
    def resolve_building(obj: ReaderProfile) -> str | None:
        return obj.building.code if obj.building_id else None


class RoleOut(Schema):
    library: str
    role: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    is_consortium_admin: bool
    reader: ReaderOut | None
    roles: list[RoleOut]


@router.post(
    "/auth/token",
    response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=None,
    throttle=[anonymous_throttle, sign_in_throttle],
    summary="Exchange a user name and password for a bearer token",
    description=(
        "After too many failed sign-ins for one account or from one address, 429 with "
        "Retry-After, even for the right password, until the wait is over."
    ),
)
def create_token(request, payload: TokenIn):
    token, expires_at = services.issue_token(
        request=request, username=payload.username, password=payload.password
    )
    return {"token": token, "expires_at": expires_at}


@router.delete(
    "/auth/token",
    response={204: None, 401: ErrorOut},
    auth=bearer_token,
    summary="Revoke the bearer token this request carries",
    description="204 once revoked: the token no longer authenticates. 401 without a token.",
)
def revoke_token(request):
    services.revoke_token(token=request.api_token)
    return Status(204, None)


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Who the caller is")
def me(request):
    user = request.auth
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "is_consortium_admin": selectors.is_consortium_admin(user),
        "reader": selectors.reader_profile(user),
        "roles": selectors.roles_of(user),
    }


@router.post(
    "/libraries/{lib}/staff",
    response={201: StaffOut, **WRITE_ERRORS},
    summary="Add a staff account (library administrators)",
)
def create_staff(request, lib: str, payload: StaffIn):
    library = library_by_code(lib)
    return Status(201, services.create_staff(library=library, **payload.dict(), by=request.auth))


@router.post(
    "/libraries/{lib}/readers",
    response={201: ReaderOut, **WRITE_ERRORS},
    summary="Add a reader; the reader signs in with the card number",
)
def create_reader(request, lib: str, payload: ReaderIn):
    library = library_by_code(lib)
    return Status(201, services.create_reader(library=library, **payload.dict(), by=request.auth))


@router.get(
    "/libraries/{lib}/readers",
    response={200: list[ReaderOut], **READ_ERRORS},
    summary="A library's readers (staff only)",
)
@paginate(LimitOffset)
def list_readers(request, lib: str, q: str = ""):
    return selectors.readers_of(library_by_code(lib), by=request.auth, query=q)
