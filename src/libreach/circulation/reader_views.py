"""Reader pages of circulation: my loans (renew one, renew all) and my loan history.

Views only translate: selectors say what is on loan and whether the renewal rule
allows it, services.renew decides (by= the reader), and a refusal comes back as the
rule's own sentence in the reader's language with nothing changed. A loan is its
reader's alone here: to anyone else, staff included, it does not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from libreach.accounts.selectors import reader_profile
from libreach.circulation import selectors, services
from libreach.core import inplace
from libreach.core.errors import DomainError, NotFound
from libreach.core.templatetags.words import part

HISTORY_PER_PAGE = 20


def _due(day) -> str:
    return date_format(day, "DATE_FORMAT")


def said(sentence: str, **marked) -> str:
    """A message naming a book: HTML, the title already marked with its language (`part`),
    so a Chinese title in an English sentence is read in Chinese (WCAG 3.1.2)."""
    return mark_safe(conditional_escape(sentence) % marked)


def _title(loan) -> str:
    """The loan's title marked with its language, for a message (`said`)."""
    return part(loan.item.record.title, loan.item.record.language)


@require_GET
@login_required
def loans(request: HttpRequest) -> HttpResponse:
    lines = selectors.reader_loan_lines(request.user)
    return render(
        request,
        "circulation/loans.html",
        {
            "lines": lines,
            "has_card": reader_profile(request.user) is not None,
            "renewable": sum(line.renewable for line in lines),
            "due_soon_days": selectors.DUE_SOON_DAYS,
        },
    )


@require_GET
@login_required
def loan_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.loan_history_of(request.user), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "circulation/loan_history.html", {"page": page})


def _renewed_in_place(request: HttpRequest, loan_id: int, *, status: int) -> HttpResponse:
    """A renewal (or its refusal) answered in place: the loan's card as it now is, with the
    summary, the due-soon banner and the message out of band (renewed.html)."""
    lines = selectors.reader_loan_lines(request.user)
    line = next((line for line in lines if line.loan.pk == loan_id), None)
    if line is None:  # returned meanwhile: the whole page says it best
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("circulation:loans")
        return response
    return inplace.fragment(
        request,
        "circulation/renewed.html",
        {
            "line": line,
            "loan": line.loan,
            "focus_title": not line.renewable,
            "lines": lines,
            "renewable": sum(other.renewable for other in lines),
            "counts": selectors.due_soon_counts(request.user),
            "days": selectors.DUE_SOON_DAYS,
        },
        status=status,
    )


@require_POST
@inplace.login_required
def renew(request: HttpRequest, loan_id: int) -> HttpResponse:
    try:
        loan = selectors.own_loan(request.user, loan_id)
    except NotFound:
        raise Http404 from None
    status = 200
    try:
        services.renew(loan=loan, by=request.user)
    except DomainError as error:
        status = error.status
        messages.error(
            request,
            said(
                _("“%(title)s” was not renewed: %(reason)s"),
                title=_title(loan),
                reason=conditional_escape(error.detail),
            ),
        )
    else:
        messages.success(
            request,
            said(
                _("“%(title)s” renewed: now due %(date)s."),
                title=_title(loan),
                date=conditional_escape(_due(loan.due_date)),
            ),
        )
    if inplace.requested(request):
        return _renewed_in_place(request, loan.pk, status=status)
    return redirect("circulation:loans")


@require_POST
@login_required
def renew_all(request: HttpRequest) -> HttpResponse:
    result = services.renew_all(by=request.user)
    if result.renewed:
        messages.success(
            request,
            ngettext(
                "%(count)d loan renewed.",
                "%(count)d loans renewed.",
                len(result.renewed),
            )
            % {"count": len(result.renewed)},
        )
    for loan, error in result.refused:
        messages.error(
            request,
            _("“%(title)s” was not renewed: %(reason)s")
            % {"title": loan.item.record.title, "reason": error.detail},
        )
    if not result.renewed and not result.refused:
        messages.info(request, _("No loan can be renewed now; each loan says why."))
    return redirect("circulation:loans")
