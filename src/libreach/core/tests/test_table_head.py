"""The table_head tag: a data table's headings, escaped, with the optional last columns."""

from django.template import Context, Template
from django.utils import translation


def render(source: str) -> str:
    return Template("{% load i18n tables %}" + source).render(Context({"name": "<b>"}))


def test_one_heading_cell_per_column_escaped():
    assert render('{% table_head "Barcode" name %}') == (
        '<thead><tr><th scope="col">Barcode</th><th scope="col">&lt;b&gt;</th></tr></thead>'
    )


def test_hidden_and_no_print_columns_come_last():
    assert render('{% table_head "Title" hidden="Action" %}') == (
        '<thead><tr><th scope="col">Title</th>'
        '<th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>'
    )
    assert render('{% table_head "Title" no_print="Handover" %}') == (
        '<thead><tr><th scope="col">Title</th>'
        '<th scope="col" class="no-print">Handover</th></tr></thead>'
    )


def test_headings_are_translated():
    with translation.override("zh-hans"):
        assert '<th scope="col">条码</th>' in render('{% table_head _("Barcode") %}')
