"""Setup routes for the consortium's structure: libraries, buildings, service points."""

from ninja import Field, Router, Schema, Status

from libreach.consortium import selectors, services
from libreach.core import lengths
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS

router = Router(tags=["setup"])


class LibraryIn(Schema):
    code: str = lengths.schema_field("consortium.Library", "code", min_length=1)
    name: str = lengths.schema_field("consortium.Library", "name", min_length=1)
    name_en: str = lengths.schema_field("consortium.Library", "name_en", "")


class LibraryOut(Schema):
    id: int
    code: str
    name: str
    name_en: str


class BuildingIn(Schema):
    code: str = lengths.schema_field("consortium.Building", "code", min_length=1)
    name: str = lengths.schema_field("consortium.Building", "name", min_length=1)


class BuildingOut(Schema):
    id: int
    library: str = Field(alias="library.code")
    code: str
    name: str


class ServicePointIn(Schema):
    code: str = lengths.schema_field("consortium.ServicePoint", "code", min_length=1)
    name: str = lengths.schema_field("consortium.ServicePoint", "name", min_length=1)
    is_pickup: bool
    slot_minutes: int | None = Field(None, ge=5, le=24 * 60)
    slot_capacity: int | None = Field(None, ge=1, le=10_000)


class ServicePointOut(Schema):
    id: int
    library: str = Field(alias="library.code")
    code: str
    name: str
    is_pickup: bool
    slot_minutes: int
    slot_capacity: int


@router.post(
    "/libraries", response={201: LibraryOut, **WRITE_ERRORS}, summary="Add a member library"
)
def create_library(request, payload: LibraryIn):
    return Status(201, services.create_library(**payload.dict(), by=request.auth))


@router.get("/libraries", response=list[LibraryOut], auth=None, summary="Member libraries")
def list_libraries(request):
    return selectors.all_libraries()


@router.get(
    "/libraries/{lib}", response={200: LibraryOut, **READ_ERRORS}, auth=None, summary="One library"
)
def get_library(request, lib: str):
    return selectors.library_by_code(lib)


@router.post(
    "/libraries/{lib}/buildings",
    response={201: BuildingOut, **WRITE_ERRORS},
    summary="Add a delivery building",
)
def create_building(request, lib: str, payload: BuildingIn):
    library = selectors.library_by_code(lib)
    return Status(201, services.create_building(library=library, **payload.dict(), by=request.auth))


@router.get(
    "/libraries/{lib}/buildings",
    response={200: list[BuildingOut], **READ_ERRORS},
    auth=None,
    summary="A library's delivery buildings",
)
def list_buildings(request, lib: str):
    return selectors.buildings_of(selectors.library_by_code(lib))


@router.post(
    "/libraries/{lib}/service-points",
    response={201: ServicePointOut, **WRITE_ERRORS},
    summary="Add a service point",
)
def create_service_point(request, lib: str, payload: ServicePointIn):
    library = selectors.library_by_code(lib)
    return Status(
        201, services.create_service_point(library=library, **payload.dict(), by=request.auth)
    )


@router.get(
    "/libraries/{lib}/service-points",
    response={200: list[ServicePointOut], **READ_ERRORS},
    auth=None,
    summary="A library's service points",
)
def list_service_points(request, lib: str):
    return selectors.service_points_of(selectors.library_by_code(lib))
