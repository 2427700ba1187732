"""Writes for users: API tokens, staff accounts, readers (one at a time or from CSV)."""

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts import lockout
from libreach.accounts.models import (
    ApiToken,
    ReaderProfile,
    ReaderType,
    StaffMembership,
    StaffRole,
    User,
)
from libreach.accounts.policies import (
    SYSTEM,
    Actor,
    require_can_add_staff,
    require_can_manage_readers,
)
from libreach.accounts.selectors import hash_token
from libreach.consortium.models import Building, Library
from libreach.core import normalise
from libreach.core.errors import Conflict, NotAuthenticated, RuleViolation, TooManyRequests
from libreach.core.validation import full_clean_or_raise


def issue_token(*, request: HttpRequest, username: str, password: str) -> tuple[str, dt.datetime]:
    """Check the password and return a new bearer token and its expiry.

    `request` lets django-axes count the failure against the account and the address.
    Not one transaction with the insert: a refused sign-in must keep its recorded failure.
    """
    # A reader's user name is the card number: typed in full-width digits or with
    # spaces, it still signs in (user names hold no white space).
    user = authenticate(request, username=normalise.card_number(username), password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise TooManyRequests(
                _("Too many failed sign-ins. Try again in %(minutes)s minutes."),
                retry_after=lockout.seconds_left(request),
            )
        raise NotAuthenticated(_("Wrong user name or password."), code="bad_credentials")
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + dt.timedelta(hours=settings.LIBREACH_TOKEN_HOURS)
    ApiToken.objects.create(user=user, key_hash=hash_token(token), expires_at=expires_at)
    return token, expires_at


# A token's last use is kept to the minute: a request within a minute of the last stamp
# writes nothing.
TOKEN_USE_PRECISION = dt.timedelta(minutes=1)


def note_token_use(token: ApiToken, *, now: dt.datetime | None = None) -> None:
    """Stamp `last_used_at`, at most once a minute per token."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def revoke_token(*, token: ApiToken) -> None:
    """The token stops working at once; nothing of it is kept."""
    ApiToken.objects.filter(pk=token.pk).delete()


def purge_expired_tokens() -> int:
    """Delete expired tokens (a periodic job); revoked ones are deleted when revoked."""
    deleted, _by_model = ApiToken.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise RuleViolation(" ".join(exc.messages), code="weak_password") from exc


def _new_user(*, username: str, password: str | None, name: str, email: str = "") -> User:
    """A new account; with no password it cannot sign in until one is set."""
    if User.objects.filter(username=username).exists():
        raise Conflict(
            _("The user name %(username)s is taken."),
            code="already_exists",
            username=repr(username),
        )
    user = User(username=username, name=name, email=email)
    full_clean_or_raise(user, exclude=["password"])
    if password is None:
        user.set_unusable_password()
    else:
        _check_password(password, user)
        user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise Conflict(
            _("The user name %(username)s is taken."),
            code="already_exists",
            username=repr(username),
        ) from exc
    return user


@transaction.atomic
def create_staff(
    *,
    library: Library,
    username: str,
    password: str,
    name: str,
    role: str,
    email: str = "",
    by: Actor = SYSTEM,
) -> StaffMembership:
    """A new staff account holding `role` at `library`."""
    require_can_add_staff(by, library)
    if role not in StaffRole.values:
        raise RuleViolation(_("Unknown role %(role)s."), code="invalid_role", role=repr(role))
    user = _new_user(username=username, password=password, name=name, email=email)
    return StaffMembership.objects.create(user=user, library=library, role=role)


@transaction.atomic
def grant_role(*, user: User, library: Library, role: str, by: Actor = SYSTEM) -> StaffMembership:
    require_can_add_staff(by, library)
    if role not in StaffRole.values:
        raise RuleViolation(_("Unknown role %(role)s."), code="invalid_role", role=repr(role))
    membership, _created = StaffMembership.objects.get_or_create(
        user=user, library=library, role=role
    )
    return membership


def _building(library: Library, code: str | None) -> Building | None:
    if not code:
        return None
    try:
        return Building.objects.get(library=library, code=code)
    except Building.DoesNotExist:
        raise RuleViolation(
            _("Library %(library)s has no building %(building)s."),
            code="unknown_building",
            library=library.code,
            building=repr(code),
        ) from None


def _check_reader_type(reader_type: str) -> None:
    if reader_type not in ReaderType.values:
        raise RuleViolation(
            _("Unknown reader type %(reader_type)s; use one of %(types)s."),
            code="invalid_reader_type",
            reader_type=repr(reader_type),
            types=", ".join(ReaderType.values),
        )


@transaction.atomic
def create_reader(
    *,
    library: Library,
    card_number: str,
    name: str,
    reader_type: str,
    password: str | None,
    building: str | None = None,
    department: str = "",
    email: str = "",
    phone: str = "",
    by: Actor = SYSTEM,
) -> ReaderProfile:
    """A new reader who signs in with the card number as user name (once a password is set)."""
    require_can_manage_readers(by, library)
    card_number = normalise.card_number(card_number)
    _check_reader_type(reader_type)
    place = _building(library, building)
    if ReaderProfile.objects.filter(card_number__iexact=card_number).exists():
        raise Conflict(
            _("Card number %(card)s is already issued."),
            code="already_exists",
            card=repr(card_number),
        )
    user = _new_user(username=card_number, password=password, name=name, email=email)
    profile = ReaderProfile(
        user=user,
        library=library,
        card_number=card_number,
        reader_type=reader_type,
        department=department,
        building=place,
        phone=phone,
    )
    full_clean_or_raise(profile, exclude=["user"])
    profile.save()
    return profile


READER_CSV_COLUMNS = (
    "card_number",
    "name",
    "reader_type",
    "department",
    "building",
    "email",
    "phone",
)


@dataclass
class RowProblem:
    line: int
    card_number: str
    reason: str


@dataclass
class ReaderImportReport:
    read: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    problems: list[RowProblem] = field(default_factory=list)


def _update_reader(profile: ReaderProfile, row: dict[str, str], library: Library) -> None:
    _check_reader_type(row["reader_type"])
    if profile.library_id != library.pk:
        raise Conflict(
            _("Card %(card)s belongs to library %(library)s."),
            code="other_library",
            card=profile.card_number,
            library=profile.library.code,
        )
    user = profile.user
    user.name = row["name"]
    user.email = row.get("email", "")
    full_clean_or_raise(user, exclude=["password"])
    user.save(update_fields=["name", "email"])
    profile.reader_type = row["reader_type"]
    profile.department = row.get("department", "")
    profile.building = _building(library, row.get("building"))
    profile.phone = row.get("phone", "")
    full_clean_or_raise(profile, exclude=["user"])
    profile.save()


def import_readers(
    *, library: Library, rows: Iterable[tuple[int, dict[str, str]]], by: Actor = SYSTEM
) -> ReaderImportReport:
    """Add or update readers from (line number, row) pairs, one transaction per row.

    A row whose card number exists updates that reader, so re-importing a file never
    duplicates. A bad row is reported with its line and reason and the rest go on.
    Without a `password` column the account gets no usable password until staff set one.
    """
    require_can_manage_readers(by, library)
    report = ReaderImportReport()
    for line, raw in rows:
        report.read += 1
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        card = normalise.card_number(row.get("card_number", ""))
        try:
            if not card or not row.get("name") or not row.get("reader_type"):
                raise RuleViolation(_("card_number, name and reader_type are required."))
            with transaction.atomic():
                existing = (
                    ReaderProfile.objects.select_related("user", "library")
                    .filter(card_number__iexact=card)
                    .first()
                )
                if existing:
                    _update_reader(existing, row, library)
                    report.updated += 1
                else:
                    _create_imported_reader(library, row)
                    report.imported += 1
        except (RuleViolation, Conflict) as exc:
            report.skipped += 1
            report.problems.append(RowProblem(line=line, card_number=card, reason=exc.detail))
    return report


def _create_imported_reader(library: Library, row: dict[str, str]) -> ReaderProfile:
    return create_reader(
        library=library,
        card_number=row["card_number"],
        name=row["name"],
        reader_type=row["reader_type"],
        password=row.get("password") or None,
        building=row.get("building") or None,
        department=row.get("department", ""),
        email=row.get("email", ""),
        phone=row.get("phone", ""),
    )
