"""Reader pages of document delivery: my requests, the request form (typed in, or
pre-filled from an OpenURL link a database hands over), one request with its timeline,
Cancel, and the delivered file.

Views only translate: parse the form, call `services` or `selectors`, render. Readers
are told where their request stands in their own words; the lender is named only once
it has delivered.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libreach.accounts.selectors import reader_profile
from libreach.core import inplace, lengths
from libreach.core.errors import DomainError
from libreach.docdelivery import citations, selectors, services
from libreach.docdelivery.models import (
    OPEN_STATES,
    DocRequest,
    ReasonUnfilled,
    RequestType,
    Status,
)
from libreach.docdelivery.transitions import READER, Trigger, actions

# What the reader is told of each state; the lender stays unnamed until it delivered.
STATUS_WORDS = {
    Status.NEW: gettext_lazy("Sent to your library, which will review it soon."),
    Status.SENT: gettext_lazy("Your library has asked a member library for it."),
    Status.WILL_SUPPLY: gettext_lazy("A member library has it and will supply it."),
    Status.RETRY_POSSIBLE: gettext_lazy(
        "A member library could supply it on conditions: your library is considering them."
    ),
    Status.DELIVERED: gettext_lazy("Delivered: download the copy below."),
    Status.SHIPPED: gettext_lazy("The book is on its way to your library."),
    Status.RECEIVED: gettext_lazy("The book has arrived: collect it at your library's desk."),
    Status.RETURNED: gettext_lazy("You have returned the book. Thank you."),
    Status.COMPLETED: gettext_lazy("The book is back with the library that lent it."),
    Status.UNFILLED: gettext_lazy("Sorry: no member library could supply it."),
    Status.REJECTED: gettext_lazy("Your library could not accept this request."),
    Status.SATISFIED_LOCALLY: gettext_lazy("Your library has it itself."),
    Status.CANCELLED: gettext_lazy("This request was cancelled."),
}

# The timeline in the reader's words; events the reader need not see are left out.
EVENT_WORDS = {
    "submitted": gettext_lazy("You sent the request."),
    "approved": gettext_lazy("Your library accepted it."),
    "sent": gettext_lazy("Asked a member library."),
    "will_supply": gettext_lazy("The member library will supply it."),
    "unfilled": gettext_lazy("That library could not supply it."),
    "timed_out": gettext_lazy("That library did not answer in time."),
    "retry": gettext_lazy("The member library set conditions."),
    "retry_accepted": gettext_lazy("Your library accepted the conditions."),
    "retry_declined": gettext_lazy("Your library declined the conditions."),
    "end_of_rota": gettext_lazy("No member library could supply it."),
    "delivered": gettext_lazy("The copy was delivered."),
    "shipped": gettext_lazy("The book was sent to your library."),
    "received": gettext_lazy("The book arrived at your library."),
    "returned": gettext_lazy("The book was returned."),
    "completed": gettext_lazy("The lending library has the book back."),
    "rejected": gettext_lazy("Your library did not accept it."),
    "satisfied_locally": gettext_lazy("Your library has it itself."),
    "cancelled": gettext_lazy("The request was cancelled."),
    "downloaded": gettext_lazy("You downloaded the copy."),
}

# Refusals the reader meets, in the reader's language.
REFUSALS = {
    "not_a_reader": gettext_lazy("Only a reader with a library card can ask for a copy."),
    "title_required": gettext_lazy("Give the title of the journal or the book."),
    "invalid_type": gettext_lazy("Choose an article, a chapter or a whole book."),
    "invalid_transition": gettext_lazy("This request can no longer be cancelled."),
    "link_expired": gettext_lazy("This download link has expired."),
    "no_file": gettext_lazy("No copy has been delivered for this request."),
}


def refusal(error: DomainError) -> str:
    if error.code == "downloads_used_up":
        return _("The copy has been downloaded %(n)d times, as many as allowed.") % {
            "n": error.params.get("n", 0)
        }
    return str(REFUSALS.get(error.code, error.detail))


class CitationForm(forms.Form):
    """The citation the reader types, or an OpenURL link filled in. Lengths are the
    model's; the service checks the rest."""

    type = forms.ChoiceField(
        label=gettext_lazy("What do you need?"),
        choices=RequestType.choices,
        widget=forms.RadioSelect,
        initial=RequestType.ARTICLE,
    )
    article_title = lengths.form_field(
        DocRequest, "article_title", label=gettext_lazy("Article or chapter title")
    )
    title = lengths.form_field(
        DocRequest,
        "title",
        label=gettext_lazy("Journal or book title"),
        error_messages={"required": gettext_lazy("Give the title of the journal or the book.")},
    )
    authors = lengths.form_field(DocRequest, "authors", label=gettext_lazy("Authors"))
    issn = lengths.text_field(label="ISSN", max_length=9, required=False)
    # As printed, hyphens and all (978-7-111-20571-5): the digits are kept (clean_isbn).
    isbn = lengths.text_field(label="ISBN", max_length=17, required=False)
    year = lengths.form_field(DocRequest, "year", label=pgettext_lazy("of publication", "Year"))
    volume = lengths.form_field(DocRequest, "volume", label=gettext_lazy("Volume"))
    issue = lengths.form_field(DocRequest, "issue", label=gettext_lazy("Issue"))
    pages = lengths.form_field(DocRequest, "pages", label=gettext_lazy("Pages"))
    doi = lengths.form_field(DocRequest, "doi", label="DOI")
    note = lengths.form_field(
        DocRequest,
        "note",
        label=gettext_lazy("Note for the library (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    from_openurl = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_isbn(self) -> str:
        # An ISBN as printed (978-7-111-20571-5) is longer than its column: the service
        # keeps the digits, and so does the form before it.
        isbn = "".join(self.cleaned_data.get("isbn", "").replace("-", "").split())
        if len(isbn) > 13:
            raise forms.ValidationError(_("An ISBN has 10 or 13 digits."))
        return isbn

    def clean(self):
        data = super().clean()
        if data.get("type") in (RequestType.ARTICLE, RequestType.CHAPTER) and not data.get(
            "article_title"
        ):
            self.add_error(
                "article_title",
                _("Give the title of the article or the chapter."),
            )
        return data


def _form_page(request, form: CitationForm, *, status: int = 200, duplicate: int | None = None):
    return render(
        request,
        "docdelivery/request_form.html",
        {
            "form": form,
            "duplicate": duplicate,
            "is_reader": reader_profile(request.user) is not None,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def request_new(request):
    if request.method == "GET":
        return _form_page(request, CitationForm())
    reader = reader_profile(request.user)
    if reader is None:
        messages.error(request, str(REFUSALS["not_a_reader"]))
        return redirect("docdelivery:requests")
    form = CitationForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, status=422)
    data = form.cleaned_data
    try:
        created = services.submit(
            by=request.user,
            library=reader.library,
            type_=data["type"],
            citation=data,
            from_openurl=bool(data.get("from_openurl")),
        )
    except DomainError as error:
        if error.code == "duplicate":
            form.add_error(None, _("You already asked for this, and that request is still open."))
            return _form_page(request, form, status=409, duplicate=error.params.get("id"))
        field = {"title_required": "title"}.get(error.code)
        form.add_error(field, refusal(error))
        return _form_page(request, form, status=error.status)
    messages.success(request, _("Request %(id)s sent to your library.") % {"id": created.pk})
    return redirect("docdelivery:request", request_id=created.pk)


@require_GET
def openurl(request):
    """An OpenURL 1.0 KEV (or 0.1) link from a database: the request form, filled in.
    Signed out, the reader signs in and comes back here, the citation still in the link."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    citation = citations.from_openurl(dict(request.GET.lists()))
    initial = {k: v for k, v in citation.items() if v and k in CitationForm.base_fields}
    initial["type"] = citation.get("type") or RequestType.ARTICLE
    initial["from_openurl"] = True
    return _form_page(request, CitationForm(initial=initial))


@require_GET
@login_required
def request_list(request):
    requests = list(selectors.readers_requests(request.user)[:100])
    return render(
        request,
        "docdelivery/request_list.html",
        {
            "requests": [_card(r) for r in requests],
            "is_reader": reader_profile(request.user) is not None,
        },
    )


def _own(request, request_id: int) -> DocRequest:
    """The signed-in reader's own request; anyone else gets 404 here (staff have the desk)."""
    try:
        found, roles = selectors.request_for(request.user, request_id)
    except DomainError:
        raise Http404 from None
    if READER not in roles:
        raise Http404
    return found


def _file_state(doc: DocRequest) -> dict | None:
    supplied = getattr(doc, "file", None) if doc.status == Status.DELIVERED else None
    if supplied is None:
        return None
    left = max(supplied.max_downloads - supplied.downloads, 0)
    return {
        "file": supplied,
        "left": left,
        "usable": left > 0 and timezone.now() < supplied.expires_at,
    }


def _card(doc: DocRequest) -> dict:
    return {"doc": doc, "words": STATUS_WORDS.get(doc.status, ""), "file": _file_state(doc)}


def timeline(doc: DocRequest) -> list[dict]:
    return [
        {"at": timezone.localtime(e.at), "text": EVENT_WORDS[e.event]}
        for e in doc.history.all()
        if e.event in EVENT_WORDS
    ]


def published(doc: DocRequest) -> str:
    """Year, volume, issue and pages in the page's language: "2020, vol. 579, no. 7798"."""
    parts = [
        text % {"v": value}
        for text, value in (
            ("%(v)s", doc.year),
            (_("vol. %(v)s"), doc.volume),
            (_("no. %(v)s"), doc.issue),
            (_("pp. %(v)s"), doc.pages),
        )
        if value
    ]
    return str(pgettext_lazy("between the items of a list", ", ")).join(parts)


def _detail_context(doc: DocRequest) -> dict:
    lender = None
    if doc.status == Status.DELIVERED and hasattr(doc, "file"):
        lender = doc.file.lender
    reasons = []
    if doc.status == Status.UNFILLED:
        reasons = sorted(
            {ReasonUnfilled(e.reason_unfilled).label for e in doc.rota.all() if e.reason_unfilled}
        )
    return {
        "doc": doc,
        "published": published(doc),
        "words": STATUS_WORDS.get(doc.status, ""),
        "moments": timeline(doc),
        "file": _file_state(doc),
        "lender": lender,
        "reasons": reasons,
        "may_cancel": Trigger.CANCEL in actions(doc.status, doc.type, READER),
        "is_open": doc.status in OPEN_STATES,
    }


@require_GET
@login_required
def request_detail(request, request_id: int):
    return render(
        request, "docdelivery/request_detail.html", _detail_context(_own(request, request_id))
    )


@require_POST
@inplace.login_required
def request_cancel(request, request_id: int):
    doc = _own(request, request_id)
    status = 200
    try:
        services.cancel(request_id=doc.pk, by=request.user)
    except DomainError as error:
        messages.error(request, refusal(error))
        status = error.status
    else:
        messages.success(request, _("Request %(id)s is cancelled.") % {"id": doc.pk})
    if inplace.requested(request):
        doc = _own(request, request_id)
        return inplace.fragment(
            request, "docdelivery/_request_answer.html", _detail_context(doc), status=status
        )
    return redirect("docdelivery:request", request_id=doc.pk)


@require_GET
@login_required
def request_file(request, request_id: int):
    """The delivered PDF, streamed: for its reader (each download counted) and the
    staff of the reader's library; 410 once the link expired or its downloads ran out."""
    try:
        path, name = services.open_file(request_id=request_id, by=request.user)
    except DomainError as error:
        if error.status == 410:
            return render(
                request,
                "docdelivery/gone.html",
                {"message": refusal(error), "request_id": request_id},
                status=410,
            )
        if error.status == 403:
            raise DjangoPermissionDenied from None
        raise Http404 from None
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )
