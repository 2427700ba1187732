from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import Building, Library


class User(AbstractUser):
    """Anyone who signs in. A superuser is a consortium admin."""

    # One field for a full name: Chinese names are not "first" and "last".
    name = models.CharField(_("name"), max_length=150, blank=True)
    # The language of the notices we email; the pages follow the browser or the switch.
    language = models.CharField(
        _("language for notices"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="zh-hans",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        return self.name or self.username

    @property
    def is_consortium_admin(self) -> bool:
        return self.is_active and self.is_superuser

    def roles_at(self, library) -> frozenset[str]:
        """The roles held at `library`: one query per user object, then cached on it.

        A method of the user, so apps below accounts (consortium) can ask it without
        importing accounts; the rules built on it live in each app's policies module.
        """
        cache = self.__dict__.get("_libreach_roles")
        if cache is None:
            cache = {}
            for lib_id, role in StaffMembership.objects.filter(user=self).values_list(
                "library_id", "role"
            ):
                cache.setdefault(lib_id, set()).add(role)
            self.__dict__["_libreach_roles"] = cache
        return frozenset(cache.get(library.pk, ()))

    def is_library_staff(self, library) -> bool:
        """Holds a staff role (not only volunteer) at `library`."""
        return bool(self.roles_at(library) & STAFF_ROLES)


class ReaderType(models.TextChoices):
    UNDERGRADUATE = "undergraduate", _("Undergraduate")
    GRADUATE = "graduate", _("Graduate student")
    FACULTY = "faculty", _("Faculty")
    STAFF = "staff", _("Staff")


class ReaderProfile(models.Model):
    """A library card. The reader signs in with the card number as user name."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader"
    )
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="readers")
    card_number = models.CharField(_("card number"), max_length=64, unique=True)
    reader_type = models.CharField(_("reader type"), max_length=20, choices=ReaderType.choices)
    department = models.CharField(_("department"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="readers",
        verbose_name=_("building"),
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["library", "card_number"]
        verbose_name = _("reader")
        verbose_name_plural = _("readers")

    def __str__(self) -> str:
        return f"{self.card_number} {self.user}"


class StaffRole(models.TextChoices):
    CIRCULATION = "circulation", _("Circulation")
    REFERENCE = "reference", _("Reference")
    ADMIN = "admin", _("Library administrator")
    VOLUNTEER = "volunteer", _("Volunteer")


# Roles that count as library staff. Volunteers are not staff: they only see the delivery
# runs given to them.
STAFF_ROLES = frozenset({StaffRole.CIRCULATION, StaffRole.REFERENCE, StaffRole.ADMIN})


class StaffMembership(models.Model):
    """One role a user holds at one library; a user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_roles"
    )
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=20, choices=StaffRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["library", "user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "library", "role"], name="one_role_once")
        ]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")

    def __str__(self) -> str:
        return f"{self.user} {self.library.code} {self.role}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored, so a leaked database leaks no tokens."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"token of {self.user} until {self.expires_at:%Y-%m-%d %H:%M}"
