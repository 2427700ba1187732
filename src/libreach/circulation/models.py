from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile, ReaderType
from libreach.catalog.models import Item
from libreach.consortium.models import Library


class LoanPolicy(models.Model):
    """How long, how often and how many a reader type may borrow at one library.

    An empty reader type is the library's rule for every reader type without its own
    row. With no row at all, `selectors.policy_for` falls back to `DEFAULT_POLICY`.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="loan_policies")
    reader_type = models.CharField(
        _("reader type"),
        max_length=20,
        choices=ReaderType.choices,
        blank=True,
        help_text=_("Empty: every reader type without a policy of its own."),
    )
    loan_days = models.PositiveSmallIntegerField(
        _("loan period (days)"), validators=[MinValueValidator(1)]
    )
    max_renewals = models.PositiveSmallIntegerField(_("renewals allowed"))
    renewal_days = models.PositiveSmallIntegerField(
        _("renewal period (days)"), validators=[MinValueValidator(1)]
    )
    max_open_loans = models.PositiveSmallIntegerField(_("most open loans"))
    fine_per_day_fen = models.PositiveIntegerField(_("fine per open day overdue (fen)"))
    hold_days = models.PositiveSmallIntegerField(
        _("hold period (days)"), help_text=_("How long a request waits to be collected.")
    )

    class Meta:
        ordering = ["library", "reader_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "reader_type"], name="one_policy_per_reader_type"
            ),
            models.CheckConstraint(condition=Q(loan_days__gte=1), name="policy_loan_days_min"),
            models.CheckConstraint(
                condition=Q(renewal_days__gte=1), name="policy_renewal_days_min"
            ),
        ]
        verbose_name = _("loan policy")
        verbose_name_plural = _("loan policies")

    def __str__(self) -> str:
        library = self.library.code if self.library_id else "default"
        return f"{library} {self.reader_type or '*'}: {self.loan_days} days"


class CirculationSettings(models.Model):
    """Per-library circulation settings that do not depend on the reader.

    Quarantine belongs to the library that takes the book back, not to the borrower's
    reader type, so it lives here rather than on LoanPolicy. No row: no quarantine.
    """

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, related_name="circulation_settings"
    )
    quarantine_hours = models.PositiveSmallIntegerField(
        _("quarantine after return (hours)"),
        default=0,
        help_text=_("0: returned items go straight back on the shelf."),
    )
    requires_disinfection = models.BooleanField(
        _("disinfect before staging"),
        default=False,
        help_text=_("Contactless requests cannot be staged until their books are disinfected."),
    )

    class Meta:
        verbose_name = _("circulation settings")
        verbose_name_plural = _("circulation settings")

    def __str__(self) -> str:
        return f"{self.library.code} quarantine {self.quarantine_hours} h"


class Loan(models.Model):
    """One item lent to one reader. Open while `returned_at` is empty."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="loans")
    reader = models.ForeignKey(ReaderProfile, on_delete=models.PROTECT, related_name="loans")
    library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        related_name="loans",
        verbose_name=_("checkout library"),
        help_text=_("Its calendar decides due dates and which overdue days are charged."),
    )
    checked_out_at = models.DateTimeField(_("checked out at"))
    # A date: the loan falls due at the end of that day in the library's time zone.
    due_date = models.DateField(_("due date"))
    renewals = models.PositiveSmallIntegerField(_("renewals"), default=0)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_library = models.ForeignKey(
        Library,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("return library"),
    )
    # Set when a closure re-dates the loan, so lifting the closure can restore it.
    original_due_date = models.DateField(_("original due date"), null=True, blank=True)
    fine_fen = models.PositiveIntegerField(_("fine (fen)"), default=0)
    # The due date the reader was last told is near (services.send_due_soon_notices):
    # one notice per loan and due date.
    due_soon_notice_for = models.DateField(_("due-soon notice sent for"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_out_at"]
        constraints = [
            # The last line of defence against lending one copy twice.
            models.UniqueConstraint(
                fields=["item"], condition=Q(returned_at=None), name="one_open_loan_per_item"
            )
        ]
        indexes = [
            models.Index(fields=["reader", "returned_at"], name="loan_reader_open"),
            models.Index(fields=["library", "due_date"], name="loan_library_due"),
        ]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")

    def __str__(self) -> str:
        return f"{self.item} to {self.reader.card_number} due {self.due_date}"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class ClosureRedate(models.Model):
    """One loan moved by one closure: what it was, what it became, and whether lifting
    the closure put it back. Its existence is also the resume marker of a re-dating run."""

    closure = models.ForeignKey(
        "consortium.Closure", on_delete=models.CASCADE, related_name="redates"
    )
    loan = models.ForeignKey(Loan, on_delete=models.CASCADE, related_name="closure_redates")
    original_due_date = models.DateField(_("due date before the closure"))
    new_due_date = models.DateField(_("due date set by the closure"))
    processed_at = models.DateTimeField(_("re-dated at"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)
    restored_due_date = models.DateField(_("due date restored to"), null=True, blank=True)

    class Meta:
        ordering = ["closure", "loan"]
        constraints = [
            models.UniqueConstraint(fields=["closure", "loan"], name="one_redate_per_closure_loan")
        ]
        verbose_name = _("closure re-dating")
        verbose_name_plural = _("closure re-datings")

    def __str__(self) -> str:
        return f"loan {self.loan_id}: {self.original_due_date} -> {self.new_due_date}"


class BulkExtension(models.Model):
    """An audit row: who extended which loans of a library, when, and how many moved."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="bulk_extensions")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("applied at"))
    reader_type = models.CharField(
        _("reader type"), max_length=20, choices=ReaderType.choices, blank=True
    )
    due_from = models.DateField(_("due from"))
    due_to = models.DateField(_("due to"))
    new_due_date = models.DateField(_("new due date"))
    count = models.PositiveIntegerField(_("loans extended"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bulk extension")
        verbose_name_plural = _("bulk extensions")

    def __str__(self) -> str:
        return f"{self.library.code} {self.due_from}..{self.due_to} -> {self.new_due_date}"
