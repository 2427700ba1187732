"""Document delivery and interlibrary loan across the consortium (ISO 18626).

A reader asks their own library (the requesting agency) for an article, a chapter or a
book; the library reviews it, builds a rota of lenders (supplying agencies) and passes the
request along it until one supplies or the rota ends. The state machine is the table in
`transitions.py`; the models only hold state. Every write goes through `services.py`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile
from libreach.consortium.models import Library


class RequestType(models.TextChoices):
    ARTICLE = "article", _("Journal article")
    CHAPTER = "chapter", _("Book chapter")
    BOOK = "book", _("Whole book (a loan)")


class Status(models.TextChoices):
    NEW = "new", _("Awaiting review")
    SENT = "sent", _("With a lender")
    WILL_SUPPLY = "will_supply", _("Lender will supply")
    RETRY_POSSIBLE = "retry_possible", _("Lender asks for a retry")
    DELIVERED = "delivered", _("Delivered")
    SHIPPED = "shipped", _("Shipped")
    RECEIVED = "received", _("Received")
    RETURNED = "returned", _("Returned")
    COMPLETED = "completed", _("Completed")
    UNFILLED = "unfilled", _("Unfilled")
    REJECTED = "rejected", _("Rejected")
    SATISFIED_LOCALLY = "satisfied_locally", _("Satisfied locally")
    CANCELLED = "cancelled", _("Cancelled")


# A reader's request counts as open (duplicates are checked against these) until one of
# the end states.
OPEN_STATES = (
    Status.NEW,
    Status.SENT,
    Status.WILL_SUPPLY,
    Status.RETRY_POSSIBLE,
    Status.SHIPPED,
    Status.RECEIVED,
)
END_STATES = tuple(s for s in Status.values if s not in OPEN_STATES)


class ReasonUnfilled(models.TextChoices):
    """ISO 18626 v1.2 reasonUnfilled (the standard's values, kept as sent on the wire)."""

    NOT_HELD = "NotHeld", _("Not held")
    NOT_ON_SHELF = "NotOnShelf", _("Not on shelf")
    IN_USE_ON_LOAN = "InUseOnLoan", _("In use or on loan")
    IN_PROCESS = "InProcess", _("In process")
    NON_CIRCULATING = "NonCirculating", _("Non-circulating")
    NOT_AVAILABLE_FOR_ILL = "NotAvailableForILL", _("Not available for interlibrary loan")
    POOR_CONDITION = "PoorCondition", _("Poor condition")
    LOST = "Lost", _("Lost")
    ON_ORDER = "OnOrder", _("On order")
    VOL_ISSUE_NOT_YET_AVAILABLE = "Vol/IssueNotYetAvailable", _("Volume or issue not yet available")
    AT_BINDERY = "AtBindery", _("At the bindery")
    LACKING = "Lacking", _("Lacking")
    NOT_ON_ORDER = "NotOnOrder", _("Not on order")
    OTHER = "Other", _("Other")
    # Ours, not on the wire: the lender did not answer within its response window.
    NO_ANSWER = "NoAnswer", _("No answer in time")


class ReasonRetry(models.TextChoices):
    """ISO 18626 v1.2 reasonRetry."""

    AT_BINDERY = "AtBindery", _("At the bindery")
    COST_EXCEEDS_MAX_COST = "CostExceedsMaxCost", _("Cost exceeds the maximum")
    LOAN_CONDITION = "LoanCondition", _("Loan condition")
    MUST_BE_CHECKED_OUT_ONLY = "MustBeCheckedOutOnly", _("Only for use in the library")
    NOT_CURRENT_AVAILABLE_FOR_ILL = "NotCurrentAvailableForILL", _("Not available for ILL now")
    NOT_FOUND_AS_CITED = "NotFoundAsCited", _("Not found as cited")
    ON_LOAN = "OnLoan", _("On loan")
    ON_ORDER = "OnOrder", _("On order")
    REQ_DEL_DATE_NOT_POSSIBLE = "ReqDelDateNotPossible", _("Delivery date not possible")
    REQ_DEL_METHOD_NOT_SUPP = "ReqDelMethodNotSupp", _("Delivery method not supported")
    REQ_EDITION_NOT_POSSIBLE = "ReqEditionNotPossible", _("Edition not possible")
    REQ_FORMAT_NOT_POSSIBLE = "ReqFormatNotPossible", _("Format not possible")
    REQ_PAY_METHOD_NOT_SUPPORTED = "ReqPayMethNotSupported", _("Payment method not supported")
    REQ_SPECIAL_NOT_SUPPORTED = "ReqSpecialNotSupported", _("Special request not supported")
    IN_PROCESS = "InProcess", _("In process")
    LOST = "Lost", _("Lost")


class DocDeliverySettings(models.Model):
    """One member's terms as a lender and how the platform reaches it."""

    library = models.OneToOneField(
        Library, on_delete=models.CASCADE, related_name="docdelivery_settings"
    )
    lends = models.BooleanField(_("supplies other members"), default=True)
    # CALIS members promise an answer within 1 working day and delivery within 2.
    response_days = models.PositiveSmallIntegerField(_("response window (working days)"), default=1)
    delivery_days = models.PositiveSmallIntegerField(_("delivery (working days)"), default=2)
    # Blank: the member works inside the platform (no XML). Else its ISO 18626 endpoint.
    iso18626_url = models.URLField(_("ISO 18626 endpoint"), blank=True)
    file_days = models.PositiveSmallIntegerField(
        _("a delivered file can be downloaded for (days)"), default=14
    )
    file_downloads = models.PositiveSmallIntegerField(_("downloads allowed per file"), default=5)

    class Meta:
        verbose_name = _("document delivery settings")
        verbose_name_plural = _("document delivery settings")

    def __str__(self) -> str:
        return str(self.library)


class DocRequest(models.Model):
    """A reader's request, held by the reader's library (ISO 18626's requesting agency)."""

    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="doc_requests")
    # None for a request another member's own system sent over ISO 18626: its reader is
    # that member's, known here only by `patron_ref`.
    reader = models.ForeignKey(
        ReaderProfile,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="doc_requests",
    )
    # The requesting agency's own request id (requestingAgencyRequestId) when it came over
    # ISO 18626; requests made here are known to peers as "<library code>-<id>".
    external_id = models.CharField(max_length=255, blank=True)
    patron_ref = models.CharField(_("patron reference"), max_length=255, blank=True)
    type = models.CharField(_("type"), max_length=10, choices=RequestType.choices)
    # The citation. `title` is the journal's or the book's; article_title the article's
    # or the chapter's.
    title = models.CharField(_("title"), max_length=500)
    article_title = models.CharField(_("article or chapter title"), max_length=500, blank=True)
    authors = models.CharField(_("authors"), max_length=500, blank=True)
    issn = models.CharField(_("ISSN"), max_length=9, blank=True)
    isbn = models.CharField(_("ISBN"), max_length=13, blank=True)
    year = models.CharField(_("year"), max_length=16, blank=True)
    volume = models.CharField(_("volume"), max_length=32, blank=True)
    issue = models.CharField(_("issue"), max_length=32, blank=True)
    pages = models.CharField(_("pages"), max_length=64, blank=True)
    doi = models.CharField(_("DOI"), max_length=255, blank=True)
    note = models.CharField(_("reader's note"), max_length=500, blank=True)
    from_openurl = models.BooleanField(default=False)
    # The normalised citation: the same key on two open requests of one reader is a
    # duplicate (services.citation_key).
    citation_key = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    # The lender now holding the request (a rota entry's library), if any.
    lender = models.ForeignKey(
        Library, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reject_reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # When the request was first answered by a lender and when the reader had it: the
    # statistics' hours to first answer and to delivery.
    first_answer_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["library", "status"], name="docreq_library_status"),
            models.Index(fields=["lender", "status"], name="docreq_lender_status"),
            models.Index(fields=["reader", "citation_key"], name="docreq_reader_citation"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "external_id"],
                condition=~Q(external_id=""),
                name="docreq_external_id_once",
            )
        ]
        verbose_name = _("document delivery request")
        verbose_name_plural = _("document delivery requests")

    def __str__(self) -> str:
        return f"#{self.pk} {(self.article_title or self.title)[:60]}"


class RotaStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting its turn")
    SENT = "sent", _("Sent")
    WILL_SUPPLY = "will_supply", _("Will supply")
    RETRY_POSSIBLE = "retry_possible", _("Retry possible")
    UNFILLED = "unfilled", _("Unfilled")
    TIMED_OUT = "timed_out", _("No answer in time")
    SUPPLIED = "supplied", _("Supplied")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class RotaEntry(models.Model):
    """One lender in a request's rota, in the order they are asked."""

    request = models.ForeignKey(DocRequest, on_delete=models.CASCADE, related_name="rota")
    position = models.PositiveSmallIntegerField()
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=RotaStatus.choices, default=RotaStatus.WAITING)
    # How the lender was chosen: copies held, its loan-to-borrow ratio, its median hours
    # to answer, when the rota was built.
    holdings = models.PositiveIntegerField(default=0)
    ratio = models.FloatField(null=True, blank=True)
    response_hours = models.FloatField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reason_unfilled = models.CharField(max_length=32, choices=ReasonUnfilled.choices, blank=True)
    reason_retry = models.CharField(max_length=32, choices=ReasonRetry.choices, blank=True)
    retry_cost = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="rota_position"),
            models.UniqueConstraint(fields=["request", "lender"], name="rota_lender_once"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="rota_status_due"),
            models.Index(fields=["lender", "status"], name="rota_lender_status"),
        ]
        verbose_name = _("rota entry")
        verbose_name_plural = _("rota entries")

    def __str__(self) -> str:
        return f"{self.request_id}.{self.position} {self.lender_id}"


class RequestEvent(models.Model):
    """The request's timeline: each transition, who fired it, from which library, when."""

    request = models.ForeignKey(DocRequest, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    event = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    library = models.ForeignKey(
        Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event}"


class SuppliedFile(models.Model):
    """The copy a lender supplied: a PDF the requesting reader downloads for a while."""

    request = models.OneToOneField(DocRequest, on_delete=models.CASCADE, related_name="file")
    lender = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    # Relative to the file store (services.file_store), named by its content hash.
    path = models.CharField(max_length=255)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    max_downloads = models.PositiveSmallIntegerField()
    downloads = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(downloads__gte=0), name="supplied_file_downloads_non_negative"
            )
        ]
        verbose_name = _("supplied file")
        verbose_name_plural = _("supplied files")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.size} B"


class Iso18626Message(models.Model):
    """Every ISO 18626 message sent or accepted, as it was on the wire.

    A message received twice (same sender, type and timestamp, same request id) is a
    retransmission: answered with the first confirmation and changing nothing.
    """

    class Direction(models.TextChoices):
        IN = "in", _("received")
        OUT = "out", _("sent")

    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=32)  # request, supplyingAgencyMessage, ...
    peer = models.ForeignKey(
        Library, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    request = models.ForeignKey(
        DocRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    # requester agency + requestingAgencyRequestId + message type + header timestamp.
    dedup_key = models.CharField(max_length=255, blank=True)
    at = models.DateTimeField()
    body = models.TextField()
    confirmation = models.TextField(blank=True)
    status = models.CharField(max_length=8, blank=True)  # OK / ERROR of the confirmation

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "dedup_key"],
                condition=~Q(dedup_key=""),
                name="iso18626_message_once",
            )
        ]
        verbose_name = _("ISO 18626 message")
        verbose_name_plural = _("ISO 18626 messages")

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.at:%Y-%m-%d %H:%M}"


# --- fees (issue 9, point 7) -------------------------------------------------------------


class ServiceType(models.TextChoices):
    """What a fee policy prices: a copy (an article or a chapter) or a loan (a book)."""

    COPY = "copy", _("Copy (article or chapter)")
    LOAN = "loan", _("Loan (whole book)")


class FeeBasis(models.TextChoices):
    PER_REQUEST = "request", _("per request")
    PER_PAGE = "page", _("per page")


class FeePolicy(models.Model):
    """The consortium's price for a service, from one date to another (site time zone,
    both days included; no end: until further notice). The policy in force on the day a
    request is satisfied prices it (`fees.fee_for`)."""

    service_type = models.CharField(_("service"), max_length=8, choices=ServiceType.choices)
    basis = models.CharField(
        _("charged"), max_length=8, choices=FeeBasis.choices, default=FeeBasis.PER_REQUEST
    )
    price = models.DecimalField(_("price"), max_digits=9, decimal_places=2)
    # The least a copy costs, whatever its pages (BALIS: a few yuan for the service).
    minimum = models.DecimalField(_("minimum"), max_digits=9, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["service_type", "-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="fee_policy_price_positive"),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="fee_policy_minimum_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__lte=models.F("valid_to")),
                name="fee_policy_dates_in_order",
            ),
        ]
        verbose_name = _("fee policy")
        verbose_name_plural = _("fee policies")

    def __str__(self) -> str:
        return f"{self.service_type} {self.price} {self.currency}/{self.basis} {self.valid_from}"


class FreePeriod(models.Model):
    """Days on which the consortium bears the fee of every request satisfied (the 2020
    closure: document delivery free to readers), for one service or, blank, for all."""

    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    service_type = models.CharField(
        _("service"), max_length=8, choices=ServiceType.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lte=models.F("end")), name="free_period_dates_in_order"
            )
        ]
        verbose_name = _("free period")
        verbose_name_plural = _("free periods")

    def __str__(self) -> str:
        return f"{self.start}–{self.end} {self.note}".strip()


class FeeCharge(models.Model):
    """The fee of one satisfied request, fixed when it was satisfied: what the reader
    would pay, and who bears it: the reader, or the consortium's subsidy in a free period.
    `library` is the reader's member (the borrower), `lender` the member that supplied."""

    class PaidBy(models.TextChoices):
        READER = "reader", _("the reader")
        CONSORTIUM = "consortium", _("the consortium (subsidy)")

    request = models.OneToOneField(DocRequest, on_delete=models.CASCADE, related_name="charge")
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="+")
    lender = models.ForeignKey(
        Library, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_type = models.CharField(max_length=8, choices=ServiceType.choices)
    policy = models.ForeignKey(FeePolicy, on_delete=models.PROTECT, null=True, blank=True)
    free_period = models.ForeignKey(FreePeriod, on_delete=models.PROTECT, null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    currency = models.CharField(max_length=3, default="CNY")
    paid_by = models.CharField(max_length=12, choices=PaidBy.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["at", "library"], name="fee_charge_at_library")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_charge_amount_positive")
        ]
        verbose_name = _("fee charge")
        verbose_name_plural = _("fee charges")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.amount} {self.currency} ({self.paid_by})"
