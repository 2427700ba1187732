"""Forms of the e-resources desk pages: each text input takes its column's length
(`core.lengths`), so the browser stops at the limit the service enforces."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from libreach.core import lengths
from libreach.eresources.models import (
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    DatabaseType,
    LinkSettings,
    RouteKind,
)

# datetime-local inputs: the browser sends "2026-12-09T18:00", read in the site's zone.
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# A pasted community list may be long; a file upload has the same limit.
WAYFLESS_MAX = 500_000


# Technical names inside sentences, the same in both languages: marked English (a code
# such as the placeholder: no language), so a Chinese page's language of parts holds.
TERMS = {
    "wayfless": "WAYFless",
    "idp": "IdP",
    "entity_id": "IdP entityID",
    "kbart": "KBART",
    "markdown": "Markdown",
}
CODES = {"placeholder": "{IDP地址}", "method": "### 方式N", "heading": "## "}


def term_html() -> dict[str, SafeString]:
    found = {k: format_html('<span lang="en">{}</span>', v) for k, v in TERMS.items()}
    found.update({k: format_html('<code lang="zxx">{}</code>', v) for k, v in CODES.items()})
    return found


def _with_terms(message, **codes: str) -> SafeString:
    spans = {
        **term_html(),
        **{k: format_html('<code lang="zxx">{}</code>', v) for k, v in codes.items()},
    }
    return mark_safe(conditional_escape(str(message)) % spans)


# A translated sentence with the terms (and `codes`) in it, rendered in the language active
# when it is shown.
with_terms = lazy(_with_terms, SafeString)


def example(text: str):
    return with_terms(_("e.g. %(example)s"), example=text)


def _area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


class DatabaseForm(forms.Form):
    name = lengths.form_field(Database, "name", label=_("Name"))
    name_en = lengths.form_field(Database, "name_en", label=_("English name"))
    vendor = lengths.form_field(Database, "vendor", label=_("Vendor"))
    kind = forms.ChoiceField(label=_("Type"), choices=DatabaseType.choices)
    subjects = lengths.form_field(
        Database, "subjects", label=_("Subjects"), help_text=_("Separated by commas.")
    )
    platform_url = lengths.form_field(
        Database,
        "platform_url",
        label=_("Platform address"),
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )
    description = lengths.form_field(
        Database, "description", label=_("Description"), widget=_area()
    )


class RouteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=RouteKind.choices)
    url = lengths.form_field(
        AccessRoute,
        "url",
        label=_("Address"),
        help_text=with_terms(
            _(
                "CARSI: the %(wayfless)s link, %(placeholder)s for the school's %(idp)s host. "
                "EZproxy, OpenAthens, WebVPN: the page to reach (empty: the platform); the "
                "link is built from the link settings."
            )
        ),
    )
    rank = forms.IntegerField(
        label=_("Convenience rank"),
        min_value=1,
        max_value=999,
        required=False,
        help_text=_("Lower is more convenient; empty: the kind's usual rank."),
    )
    instructions = lengths.form_field(
        AccessRoute, "instructions", label=_("Steps for readers"), widget=_area(3)
    )
    starts = LocalDateTimeField(label=_("Offer starts"))
    ends = LocalDateTimeField(label=_("Offer ends"))
    scope = lengths.form_field(AccessRoute, "scope", label=_("Who may use the offer"))

    def clean(self):
        data = super().clean()
        if data.get("kind") == RouteKind.FREE_OFFER and not data.get("ends"):
            self.add_error("ends", _("A free offer needs its end time."))
        return data

    def values(self) -> dict:
        """What the service takes: dates only for a free offer."""
        data = dict(self.cleaned_data)
        if data["kind"] != RouteKind.FREE_OFFER:
            data["starts"] = data["ends"] = None
            data["scope"] = ""
        return data


class KbartForm(forms.Form):
    file = forms.FileField(label=with_terms(_("%(kbart)s file (tab-separated text)")))


class LinkSettingsForm(forms.Form):
    idp_entity_id = lengths.form_field(
        LinkSettings,
        "idp_entity_id",
        label=term_html()["entity_id"],
        help_text=example("https://idp.example.edu.cn/idp/shibboleth"),
    )
    idp_name = lengths.form_field(LinkSettings, "idp_name", label=with_terms(_("%(idp)s name")))
    ezproxy_base = lengths.form_field(
        LinkSettings,
        "ezproxy_base",
        label=_("EZproxy address"),
        help_text=example("https://ezproxy.example.edu.cn"),
    )
    openathens_domain = lengths.form_field(
        LinkSettings,
        "openathens_domain",
        label=_("OpenAthens domain"),
        help_text=example("example.edu.cn"),
    )
    webvpn_base = lengths.form_field(
        LinkSettings,
        "webvpn_base",
        label=_("WebVPN address"),
        help_text=example("https://webvpn.example.edu.cn"),
    )
    webvpn_encrypted = forms.BooleanField(label=_("WebVPN encrypts host names"), required=False)
    webvpn_key = lengths.form_field(
        LinkSettings,
        "webvpn_key",
        label=_("WebVPN key"),
        help_text=_("16, 24 or 32 characters; empty for the gateways' common default key."),
    )


class IdpSearchForm(forms.Form):
    idp_q = lengths.text_field(
        max_length=100, label=with_terms(_("Find the %(idp)s by institution name"))
    )


class CollectionForm(forms.Form):
    title = lengths.form_field(Collection, "title", label=_("Title"))
    title_en = lengths.form_field(Collection, "title_en", label=_("English title"))
    slug = lengths.form_field(
        Collection,
        "slug",
        label=_("Address"),
        required=False,
        help_text=with_terms(
            _("Letters, digits and hyphens, e.g. %(example)s; empty: from the English title."),
            example="covid-19",
        ),
    )
    intro = lengths.form_field(Collection, "intro", label=_("Introduction"), widget=_area())
    published = forms.BooleanField(label=_("Published on the reader guide"), required=False)


class NoteForm(forms.Form):
    note = lengths.form_field(CollectionItem, "note", label=_("Note"), widget=_area(2))


class ItemDatabaseForm(NoteForm):
    database = forms.TypedChoiceField(label=_("Database"), coerce=int)

    def __init__(self, *args, databases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["database"].choices = [(d.pk, d.name) for d in databases]
        self.order_fields(["database", "note"])


class ItemOfferForm(NoteForm):
    route = forms.TypedChoiceField(label=_("Free offer"), coerce=int)

    def __init__(self, *args, offers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].choices = [(r.pk, r.database.name) for r in offers]
        self.order_fields(["route", "note"])


class ItemLinkForm(NoteForm):
    link_title = lengths.form_field(
        CollectionItem, "link_title", label=_("Link title"), required=True
    )
    link_url = lengths.form_field(
        CollectionItem,
        "link_url",
        label=_("Link address"),
        required=True,
        widget=forms.URLInput(attrs={"inputmode": "url"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(["link_title", "link_url", "note"])


class WayflessImportForm(forms.Form):
    text = lengths.text_field(
        max_length=WAYFLESS_MAX,
        label=with_terms(_("Paste the list (%(markdown)s)")),
        required=False,
        widget=_area(10),
    )
    file = forms.FileField(label=_("Or upload the .md file"), required=False)

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            if upload.size > WAYFLESS_MAX * 4:
                raise forms.ValidationError(_("The file is too large."))
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Paste the list or choose its file."))
        return data
