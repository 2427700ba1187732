"""Language of parts (WCAG 3.1.2): a title, name or note whose language differs from the
page's is marked with `lang`; one in the page's language, or with no letters, is not."""

import pytest
from django.template import Context, Template
from django.utils import translation

from libreach.core.words import foreign_language, language_of


@pytest.mark.parametrize(
    ("text", "declared", "expected"),
    [
        ("红楼梦", "", "zh"),
        ("Python编程：从入门到实践", "", "zh"),
        ("Dune", "", "en"),
        ("Les Misérables", "fre", "fr"),
        ("Война и мир", "", "ru"),
        ("ノルウェイの森", "", "ja"),
        ("채식주의자", "", "ko"),
        ("1984", "", None),
        ("", "", None),
        ("三体", "eng", "zh"),  # the script wins over a Latin-script code that contradicts it
        ("Dune", "en-US", "en"),
        ("Dune", "chi", "en"),  # a Chinese code on a Latin title: the script tells
    ],
)
def test_language_of(text, declared, expected):
    assert language_of(text, declared) == expected


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load words %}" + source).render(Context(context))


def test_a_title_in_another_language_is_marked_and_one_in_the_page_language_is_not():
    assert render("{{ t|part }}", "en", t="三体") == '<span lang="zh">三体</span>'
    assert render("{{ t|part }}", "zh-hans", t="三体") == "三体"
    assert render("{{ t|part }}", "zh-hans", t="Dune") == '<span lang="en">Dune</span>'
    assert render("{{ t|part }}", "en", t="Dune") == "Dune"
    assert render("{{ t|part }}", "en", t="1984") == "1984"


def test_marked_parts_are_escaped():
    assert (
        render("{{ t|part }}", "zh-hans", t="<b>x</b>")
        == '<span lang="en">&lt;b&gt;x&lt;/b&gt;</span>'
    )


def test_quoted_part_puts_the_page_languages_marks_outside_the_marked_title():
    assert render("{{ t|quoted_part }}", "zh-hans", t="Dune") == '《<span lang="en">Dune</span>》'
    assert render("{{ t|quoted_part }}", "en", t="三体") == '“<span lang="zh">三体</span>”'


def test_lang_attr_marks_a_whole_element():
    assert (
        render('<a{{ t|lang_attr:"fre" }}>x</a>', "zh-hans", t="Les Misérables")
        == '<a lang="fr">x</a>'
    )
    assert render("<a{{ t|lang_attr }}>x</a>", "zh-hans", t="红楼梦") == "<a>x</a>"


def test_foreign_language_follows_the_active_language():
    with translation.override("en"):
        assert foreign_language("红楼梦") == "zh"
    with translation.override("zh-hans"):
        assert foreign_language("红楼梦") is None
