"""E-resources: each library's databases, the routes that reach them from off campus, free
offers, the library's link settings (IdP, proxy, WebVPN), topic collections, KBART title
lists and the link patrol's history.

A free offer is an access route of kind `free_offer` with a start and an end; whether it
shows is decided by the clock at the moment of reading (selectors), never by a job that
must run, so an offer leaves the reader guide at its end time with no one acting.
Every write goes through `services.py`.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from libreach.consortium.models import Library


class DatabaseType(models.TextChoices):
    FULL_TEXT = "full_text", pgettext_lazy("database type", "Full-text database")
    JOURNALS = "journals", pgettext_lazy("database type", "E-journals")
    BOOKS = "books", pgettext_lazy("database type", "E-books")
    INDEX = "index", pgettext_lazy("database type", "Abstracts and index")
    THESES = "theses", pgettext_lazy("database type", "Theses")
    DATA = "data", pgettext_lazy("database type", "Data and statistics")
    MEDIA = "media", pgettext_lazy("database type", "Audio and video")
    TOOLS = "tools", pgettext_lazy("database type", "Tools and learning")
    OTHER = "other", pgettext_lazy("database type", "Other")


class RouteKind(models.TextChoices):
    CAMPUS_IP = "campus_ip", pgettext_lazy("access route", "Campus network")
    VPN = "vpn", pgettext_lazy("access route", "VPN")
    WEBVPN = "webvpn", pgettext_lazy("access route", "WebVPN")
    CARSI = "carsi", pgettext_lazy("access route", "CARSI (sign in with your school account)")
    EZPROXY = "ezproxy", pgettext_lazy("access route", "EZproxy")
    OPENATHENS = "openathens", pgettext_lazy("access route", "OpenAthens")
    PERSONAL_ACCOUNT = "personal_account", pgettext_lazy("access route", "Personal account")
    FREE_OFFER = "free_offer", pgettext_lazy("access route", "Free offer")


# Every route but the campus network reaches the database from home.
FROM_HOME_KINDS = tuple(k for k in RouteKind.values if k != RouteKind.CAMPUS_IP)

# What a route's kind is worth to a reader at home when staff give no rank: one tap
# (a WAYFless or proxy link) beats installing a VPN client, which beats an account to
# register; the campus network does not help at home at all.
DEFAULT_RANK = {
    RouteKind.FREE_OFFER: 10,
    RouteKind.CARSI: 20,
    RouteKind.EZPROXY: 20,
    RouteKind.OPENATHENS: 20,
    RouteKind.WEBVPN: 30,
    RouteKind.PERSONAL_ACCOUNT: 40,
    RouteKind.VPN: 50,
    RouteKind.CAMPUS_IP: 90,
}


class LinkSettings(models.Model):
    """One library's identity provider and proxies, from which its links are built."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, related_name="eresource_settings"
    )
    idp_entity_id = models.CharField(
        _("IdP entityID"),
        max_length=500,
        blank=True,
        help_text=_(
            "The school's CARSI identity provider, e.g. https://idp.example.edu.cn/idp/shibboleth"
        ),
    )
    idp_name = models.CharField(_("IdP name"), max_length=200, blank=True)
    ezproxy_base = models.CharField(_("EZproxy address"), max_length=300, blank=True)
    openathens_domain = models.CharField(_("OpenAthens domain"), max_length=200, blank=True)
    webvpn_base = models.CharField(_("WebVPN address"), max_length=300, blank=True)
    webvpn_encrypted = models.BooleanField(
        _("WebVPN encrypts host names"),
        default=True,
        help_text=_("Most Chinese WebVPN gateways put the host name AES-encrypted in the path."),
    )
    webvpn_key = models.CharField(
        _("WebVPN key"),
        max_length=64,
        blank=True,
        help_text=_("Leave empty for the gateways' common default key."),
    )
    wayfless_preamble = models.TextField(_("WAYFless list introduction"), blank=True)

    class Meta:
        verbose_name = _("e-resource link settings")
        verbose_name_plural = _("e-resource link settings")

    def __str__(self) -> str:
        return f"{self.library.code}"


class FederationIdp(models.Model):
    """An identity provider of the federation (CARSI), from its SAML metadata aggregate: to
    find a school's IdP by name and to check an entityID before links are built on it."""

    entity_id = models.CharField(max_length=500, unique=True)
    name = models.CharField(max_length=300, blank=True)  # the Chinese display name if any
    name_en = models.CharField(max_length=300, blank=True)
    names_folded = models.CharField(max_length=1000, blank=True)  # every name, for search
    scopes = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ("entity_id",)
        verbose_name = _("federation identity provider")
        verbose_name_plural = _("federation identity providers")

    def __str__(self) -> str:
        return self.name or self.name_en or self.entity_id


class Database(models.Model):
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="databases")
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    vendor = models.CharField(_("vendor"), max_length=200, blank=True)
    kind = models.CharField(
        _("type"), max_length=20, choices=DatabaseType.choices, default=DatabaseType.FULL_TEXT
    )
    subjects = models.CharField(
        _("subjects"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    description = models.TextField(_("description"), max_length=4000, blank=True)
    platform_url = models.CharField(_("platform address"), max_length=2000, blank=True)
    # Its place in the library's WAYFless list (import order), for an export that reads back
    # as it came in.
    list_position = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("library", "name")
        verbose_name = _("database")
        verbose_name_plural = _("databases")
        constraints = [
            models.UniqueConstraint(fields=("library", "name"), name="eres_db_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def subject_list(self) -> list[str]:
        return [s.strip() for s in self.subjects.replace("，", ",").split(",") if s.strip()]


class AccessRoute(models.Model):
    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="routes")
    kind = models.CharField(_("kind"), max_length=20, choices=RouteKind.choices)
    url = models.CharField(
        _("address"),
        max_length=2000,
        blank=True,
        help_text=_("For CARSI, the WAYFless link; {IDP地址} stands for the school's IdP host."),
    )
    rank = models.PositiveSmallIntegerField(
        _("convenience rank"), help_text=_("Lower is more convenient; the best route shows first.")
    )
    instructions = models.TextField(_("steps for readers"), max_length=4000, blank=True)
    # A free offer's window and who it is for.
    starts = models.DateTimeField(_("starts"), null=True, blank=True)
    ends = models.DateTimeField(_("ends"), null=True, blank=True)
    scope = models.CharField(_("who may use it"), max_length=300, blank=True)
    # Staff were warned once that the offer ends within a week.
    end_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The community WAYFless list's 方式 heading (None before any) and the item's place
    # among the entry's links and notes.
    method_label = models.CharField(max_length=100, null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("database", "rank", "position", "id")
        verbose_name = _("access route")
        verbose_name_plural = _("access routes")
        indexes = [models.Index(fields=("kind", "ends"), name="eres_route_kind_ends")]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts__isnull=True)
                | Q(ends__isnull=True)
                | Q(ends__gt=models.F("starts")),
                name="eres_route_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.database} · {self.get_kind_display()}"


class WayflessNote(models.Model):
    """A note line of the community WAYFless list, kept in its place among the entry's links
    (its `position` counts with the routes' positions)."""

    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="wayfless_notes")
    method_label = models.CharField(max_length=100, null=True, blank=True)
    position = models.PositiveIntegerField()
    text = models.TextField(max_length=4000)

    class Meta:
        ordering = ("database", "position")
        verbose_name = _("WAYFless note")
        verbose_name_plural = _("WAYFless notes")

    def __str__(self) -> str:
        return self.text[:60]


class PatrolStatus(models.TextChoices):
    OK = "ok", pgettext_lazy("link status", "OK")
    REDIRECTED = "redirected", pgettext_lazy("link status", "Redirected")
    LOGIN_REQUIRED = "login_required", pgettext_lazy("link status", "Login required")
    NOT_FOUND = "not_found", pgettext_lazy("link status", "Not found")
    SOFT_404 = "soft_404", pgettext_lazy("link status", "Soft 404")
    SERVER_ERROR = "server_error", pgettext_lazy("link status", "Server error")
    TIMEOUT = "timeout", pgettext_lazy("link status", "Timeout")
    DNS_FAILURE = "dns_failure", pgettext_lazy("link status", "DNS failure")
    TLS_FAILURE = "tls_failure", pgettext_lazy("link status", "TLS failure")
    REDIRECT_LOOP = "redirect_loop", pgettext_lazy("link status", "Redirect loop")
    # Beyond the API's ten: what the patrol also tells apart.
    CLIENT_ERROR = "client_error", pgettext_lazy("link status", "Refused (4xx)")
    CONNECTION_FAILURE = "connection_failure", pgettext_lazy("link status", "Connection failed")
    INVALID_URL = "invalid_url", pgettext_lazy("link status", "Invalid address")


# API.md's link-status names ten classes; the patrol tells three more apart. The API reports
# each of those as the nearest of the ten (and the finer class beside it as `finding`).
API_STATUS = {
    PatrolStatus.CLIENT_ERROR: PatrolStatus.NOT_FOUND,  # the page is refused to us
    PatrolStatus.INVALID_URL: PatrolStatus.NOT_FOUND,
    PatrolStatus.CONNECTION_FAILURE: PatrolStatus.SERVER_ERROR,  # nothing answers
}

# A reader can get through: the page, a redirect to it, or a sign-in page on the way.
REACHABLE_STATUSES = (PatrolStatus.OK, PatrolStatus.REDIRECTED, PatrolStatus.LOGIN_REQUIRED)


class PatrolRun(models.Model):
    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="patrol_runs", null=True, blank=True
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    broken = models.PositiveIntegerField(default=0)
    newly_broken = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-started_at",)
        verbose_name = _("link patrol run")
        verbose_name_plural = _("link patrol runs")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.checked}/{self.broken}"


class LinkCheck(models.Model):
    """One route checked once; the newest per route is its status."""

    route = models.ForeignKey(AccessRoute, on_delete=models.CASCADE, related_name="checks")
    run = models.ForeignKey(
        PatrolRun, on_delete=models.CASCADE, related_name="checks", null=True, blank=True
    )
    url = models.CharField(max_length=2000)
    status = models.CharField(max_length=20, choices=PatrolStatus.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.CharField(max_length=2000, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    elapsed_ms = models.PositiveIntegerField(default=0)
    checked_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ("-checked_at", "-id")
        verbose_name = _("link check")
        verbose_name_plural = _("link checks")
        indexes = [models.Index(fields=("route", "-checked_at"), name="eres_check_route_time")]

    def __str__(self) -> str:
        return f"{self.url} {self.status}"

    @property
    def reachable(self) -> bool:
        return self.status in REACHABLE_STATUSES


class Collection(models.Model):
    """A topic collection (专题): a themed page of databases, free offers and links."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="collections")
    slug = models.SlugField(_("address"), max_length=60, allow_unicode=False)
    title = models.CharField(_("title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    intro = models.TextField(_("introduction"), max_length=4000, blank=True)
    published = models.BooleanField(_("published"), default=False)
    position = models.PositiveIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("library", "position", "id")
        verbose_name = _("topic collection")
        verbose_name_plural = _("topic collections")
        constraints = [
            models.UniqueConstraint(fields=("library", "slug"), name="eres_collection_slug"),
        ]

    def __str__(self) -> str:
        return self.title


class CollectionItem(models.Model):
    """A database (with its routes), one route (a free offer), or a plain link, with a note."""

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("order"), default=0)
    database = models.ForeignKey(
        Database, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    route = models.ForeignKey(
        AccessRoute, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    link_title = models.CharField(_("link title"), max_length=200, blank=True)
    link_url = models.CharField(_("link address"), max_length=2000, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ("collection", "position", "id")
        verbose_name = _("collection item")
        verbose_name_plural = _("collection items")
        constraints = [
            # Exactly one of: a database, a route, a link.
            models.CheckConstraint(
                condition=(
                    Q(database__isnull=False, route__isnull=True, link_url="")
                    | Q(database__isnull=True, route__isnull=False, link_url="")
                    | (Q(database__isnull=True, route__isnull=True) & ~Q(link_url=""))
                ),
                name="eres_item_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}#{self.position}"


class KbartTitle(models.Model):
    """A title a database (a package) carries, from the vendor's KBART list."""

    database = models.ForeignKey(Database, on_delete=models.CASCADE, related_name="titles")
    publication_title = models.CharField(max_length=500)
    title_folded = models.CharField(max_length=500, db_index=True)
    publication_type = models.CharField(max_length=20)  # serial, monograph
    print_identifier = models.CharField(max_length=20, blank=True, db_index=True)
    online_identifier = models.CharField(max_length=20, blank=True, db_index=True)
    first_year = models.PositiveSmallIntegerField(null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(null=True, blank=True)  # None: to the present
    embargo = models.CharField(max_length=20, blank=True)
    coverage_depth = models.CharField(max_length=40, blank=True)
    title_url = models.CharField(max_length=2000, blank=True)
    title_id = models.CharField(max_length=200, blank=True)
    publisher_name = models.CharField(max_length=300, blank=True)
    access_type = models.CharField(max_length=1, blank=True)

    class Meta:
        ordering = ("database", "title_folded")
        verbose_name = _("KBART title")
        verbose_name_plural = _("KBART titles")

    def __str__(self) -> str:
        return self.publication_title
