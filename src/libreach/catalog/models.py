from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import Library


class MarcFormat(models.TextChoices):
    MARC21 = "marc21", "MARC 21"
    UNIMARC = "unimarc", "UNIMARC / CNMARC"
    NONE = "none", _("entered by hand")


class Record(models.Model):
    """A bibliographic record (a title) in one library's catalogue.

    `author_text`, `isbns` and `call_numbers` are the denormalised search columns the
    full-text index reads; services keep them current whenever a record or item changes.
    """

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="records")
    # Re-import key: 001 with 003, else the ISBN.
    control_number = models.CharField(_("control number (001)"), max_length=64, blank=True)
    control_source = models.CharField(_("control number source (003)"), max_length=32, blank=True)
    isbn = models.CharField(
        _("ISBN"), max_length=13, blank=True, help_text=_("ISBN-13, digits only")
    )
    title = models.TextField(_("title"))
    authors = models.JSONField(_("authors"), default=list, blank=True)
    publisher = models.CharField(_("publisher"), max_length=255, blank=True)
    year = models.CharField(_("year"), max_length=16, blank=True)
    edition = models.CharField(_("edition"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    call_number = models.CharField(_("call number"), max_length=100, blank=True)
    classification = models.CharField(
        _("classification scheme"), max_length=8, blank=True, help_text="clc / lc / ddc"
    )
    marc_format = models.CharField(
        max_length=8, choices=MarcFormat.choices, default=MarcFormat.NONE
    )
    marc = models.BinaryField(_("MARC record (ISO 2709)"), null=True, blank=True, editable=False)
    # Search columns (see class docstring).
    author_text = models.TextField(blank=True, editable=False)
    isbns = models.TextField(blank=True, editable=False)
    call_numbers = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "control_source", "control_number"],
                condition=~Q(control_number=""),
                name="record_control_number_per_library",
            )
        ]
        indexes = [models.Index(fields=["library", "isbn"], name="record_library_isbn")]
        verbose_name = _("record")
        verbose_name_plural = _("records")

    def __str__(self) -> str:
        return self.title[:80]


class ItemStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    REQUESTED = "requested", _("Requested")
    IN_PROCESS = "in_process", _("In process")
    STAGED = "staged", _("Awaiting pickup")
    IN_TRANSIT = "in_transit", _("In transit")
    ON_LOAN = "on_loan", _("On loan")
    QUARANTINED = "quarantined", _("Quarantined")
    MISSING = "missing", _("Missing")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Item(models.Model):
    """A physical volume, with its barcode, place on the shelves and availability."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="items")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="items")
    barcode = models.CharField(_("barcode"), max_length=64)
    location = models.CharField(_("location"), max_length=128, blank=True)
    call_number = models.CharField(_("call number"), max_length=100, blank=True)
    # Shelving order of the call number (the item's own, else the record's).
    shelving_key = models.CharField(max_length=255, blank=True, editable=False)
    volume = models.CharField(_("volume"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.AVAILABLE
    )
    loanable = models.BooleanField(_("loanable"), default=True)
    quarantine_until = models.DateTimeField(_("quarantined until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["record", "shelving_key", "volume", "barcode"]
        constraints = [
            models.UniqueConstraint(fields=["library", "barcode"], name="barcode_per_library")
        ]
        indexes = [
            models.Index(fields=["library", "location", "shelving_key"], name="item_shelf_order"),
            models.Index(fields=["status"], name="item_status"),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return self.barcode

    @property
    def effective_call_number(self) -> str:
        return self.call_number or self.record.call_number


class JournalHolding(models.Model):
    """A journal a member holds (print or licensed), for document delivery of its articles.

    Journals are not in the book catalogue: a member holds an article when the ISSN (print
    or electronic) matches and the year falls within the coverage. `title_key` is the
    title as compared (catalog.titles.title_key), for citations that carry no ISSN.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="journal_holdings")
    issn = models.CharField(_("ISSN"), max_length=9, blank=True, help_text="NNNN-NNNN")
    eissn = models.CharField(_("electronic ISSN"), max_length=9, blank=True)
    title = models.CharField(_("title"), max_length=500)
    title_key = models.CharField(max_length=500, editable=False)
    # Blank first year: from the first issue; blank last year: still received.
    first_year = models.PositiveSmallIntegerField(_("first year held"), null=True, blank=True)
    last_year = models.PositiveSmallIntegerField(_("last year held"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Where the row came from when a list wrote it (e.g. "kbart:12", a licensed package's
    # KBART title list), so that re-importing the list replaces its rows and no others.
    source = models.CharField(max_length=40, blank=True, default="", editable=False)

    class Meta:
        ordering = ["library", "title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_year__isnull=True)
                | Q(last_year__isnull=True)
                | Q(first_year__lte=models.F("last_year")),
                name="journal_holding_years_in_order",
            )
        ]
        indexes = [
            models.Index(fields=["issn"], name="journal_holding_issn"),
            models.Index(fields=["eissn"], name="journal_holding_eissn"),
            models.Index(fields=["title_key"], name="journal_holding_title"),
        ]
        verbose_name = _("journal holding")
        verbose_name_plural = _("journal holdings")

    def __str__(self) -> str:
        return f"{self.issn or self.eissn} {self.title[:60]}"
