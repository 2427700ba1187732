from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$",
    _("Use letters, digits, '-', '_' or '.', starting with a letter or digit."),
)


class Library(models.Model):
    """A member library of the consortium, addressed everywhere by its code."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("library")
        verbose_name_plural = _("libraries")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Building(models.Model):
    """A place books can be delivered to: a dormitory, laboratory or office building."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="buildings")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["library", "code"]
        constraints = [
            models.UniqueConstraint(fields=["library", "code"], name="building_code_per_library")
        ]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")

    def __str__(self) -> str:
        return f"{self.library.code}/{self.code} {self.name}"


class ServicePoint(models.Model):
    """A desk or door where readers collect books, with bookable pickup slots."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="service_points")
    code = models.CharField(_("code"), max_length=32, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_pickup = models.BooleanField(_("pickup point"), default=False)
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=30, validators=[MinValueValidator(5)]
    )
    slot_capacity = models.PositiveSmallIntegerField(
        _("readers per slot"), default=10, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["library", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "code"], name="service_point_code_per_library"
            ),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="slot_minutes_min"),
            models.CheckConstraint(condition=Q(slot_capacity__gte=1), name="slot_capacity_min"),
        ]
        verbose_name = _("service point")
        verbose_name_plural = _("service points")

    def __str__(self) -> str:
        return f"{self.library.code}/{self.code} {self.name}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """Regular weekly hours of a library, or of one of its service points.

    A weekday with no row is a closed day. Several rows on one day are split hours.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="opening_hours")
    service_point = models.ForeignKey(
        ServicePoint,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="opening_hours",
        help_text=_("Empty for the library's own hours."),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["library", "service_point", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="hours_close_after_open"
            )
        ]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.library.code} {self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class CalendarException(models.Model):
    """One date that differs from the weekly hours: a holiday, or special hours."""

    library = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="calendar_exceptions"
    )
    date = models.DateField(_("date"))
    is_closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["library", "date"]
        constraints = [
            models.UniqueConstraint(fields=["library", "date"], name="one_exception_per_day"),
            models.CheckConstraint(
                condition=Q(is_closed=True) | (Q(opens__isnull=False) & Q(closes__gt=F("opens"))),
                name="exception_open_has_hours",
            ),
        ]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.library.code} {self.date} {'closed' if self.is_closed else 'special hours'}"


class Closure(models.Model):
    """A span of days a library's buildings are shut (Evergreen's emergency closing).

    Circulation re-dates loans due inside it; lifting it restores them.
    """

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="closures")
    start_date = models.DateField(_("first closed day"))
    end_date = models.DateField(_("last closed day"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    stops_counter_loans = models.BooleanField(
        _("stop over-the-counter loans"),
        default=True,
        help_text=_("Contactless requests go on while the counter is shut."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)

    class Meta:
        ordering = ["library", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="closure_end_after_start"
            )
        ]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.library.code} closed {self.start_date}..{self.end_date}"


class ReciprocalBorrowing(models.Model):
    """An agreement that `lender` lends its books to readers of `borrower_library`.

    Lending between members is otherwise document delivery's work: a reader asks their own
    library, which asks the lender. With an agreement the reader asks the lender directly
    and collects the books at the lender's pickup points (the lender delivers only to its
    own readers' buildings). One direction per row: a two-way agreement is two rows.
    """

    lender = models.ForeignKey(
        Library, on_delete=models.CASCADE, related_name="lends_to", verbose_name=_("lender")
    )
    borrower_library = models.ForeignKey(
        Library,
        on_delete=models.CASCADE,
        related_name="borrows_from",
        verbose_name=_("borrowers' library"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lender", "borrower_library"]
        constraints = [
            models.UniqueConstraint(
                fields=["lender", "borrower_library"], name="one_reciprocal_rule_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(lender=F("borrower_library")), name="reciprocal_between_two_libraries"
            ),
        ]
        verbose_name = _("reciprocal borrowing")
        verbose_name_plural = _("reciprocal borrowing")

    def __str__(self) -> str:
        return f"{self.lender.code} lends to readers of {self.borrower_library.code}"
