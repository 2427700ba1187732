"""The tables tags: a data table or the line saying it is empty, and its headings."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation


def render(source: str, **context) -> str:
    return Template("{% load i18n tables %}" + source).render(Context({"name": "<b>", **context}))


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


TABLE = "{% data_table rows empty=name %}<tbody>{% for r in rows %}<tr><td>{{ r }}</td></tr>{% endfor %}</tbody>{% end_data_table %}"


def test_a_data_table_with_rows_is_a_table_of_them():
    assert render(TABLE, rows=[1, 2]) == (
        '<table class="desk-table"><tbody><tr><td>1</td></tr><tr><td>2</td></tr></tbody></table>'
    )


def test_a_data_table_without_rows_is_the_line_saying_so_escaped():
    assert render(TABLE, rows=[]) == '<p class="empty">&lt;b&gt;</p>'
    assert render(
        '{% data_table rows class="items" empty="None." empty_class="hint" %}x{% end_data_table %}',
        rows=[],
    ) == ('<p class="hint">None.</p>')


def test_data_table_options_are_name_value():
    with pytest.raises(TemplateSyntaxError):
        render('{% data_table rows "desk-table" %}{% end_data_table %}', rows=[])
