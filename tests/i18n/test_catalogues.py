"""Every string is marked for translation and every catalogue is complete (tests/i18n/catalogues.py)."""

import polib
import pytest

from tests.i18n.catalogues import AREAS, LANGUAGES, ROOT, area_messages, template_files, unmarked, untranslated


def test_every_template_marks_the_text_it_shows():
    unmarked_text = {}
    for path in template_files():
        if found := unmarked(path.read_text(), plain=path.suffix == ".txt"):
            unmarked_text[str(path.relative_to(ROOT / "templates"))] = found[:8]
    assert unmarked_text == {}, "text not marked for translation ({% translate %}, _(…)) in these templates"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("area", AREAS, ids=lambda area: area.name)
def test_every_catalogue_holds_every_marked_string_translated(area, language):
    path = area.catalogue(language)
    assert path.exists(), f"no catalogue {path.relative_to(ROOT)}: run make messages"
    catalogue = polib.pofile(str(path))
    held = {(e.msgctxt or "", e.msgid) for e in catalogue if not e.obsolete}
    missing = sorted(m.msgid for m in area_messages(area) if (m.context, m.msgid) not in held)
    assert missing == [], f"strings not in {path.relative_to(ROOT)}: run make messages and translate them"
    assert untranslated(catalogue) == [], f"strings of {path.relative_to(ROOT)} without a translation"
    compiled = {
        (e.msgctxt or "", e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(path.with_suffix(".mo")))
    }
    written = {(e.msgctxt or "", e.msgid): (e.msgstr, e.msgstr_plural) for e in catalogue if e.translated()}
    assert compiled == written, f"{path.with_suffix('.mo').name} is older than its .po: run make messages"


def test_the_checker_finds_unmarked_text_and_passes_marked_text():
    assert unmarked('<p>Save the item</p><a title="Open it">x</a>') == ["Save the item", 'title="Open it"']
    assert unmarked('{% card title="Details" %}{{ x|default:"Not set" }}') == ['"Details"', '"Not set"']
    marked = (
        '{% load i18n %}<p>{% translate "Save the item" %}</p><a title="{% translate "Open it" %}">·</a>'
        '{% blocktranslate with n=x %}Hello {{ n }}{% endblocktranslate %}{% card title=_("Details") %}'
        '{{ when|date:"j M Y" }}{% include "partials/card.html" with icon="inbox" %}<code>status=open</code>'
    )
    assert unmarked(marked) == []
