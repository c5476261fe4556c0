"""surveys.services.translations: a translation exported as CSV or XLIFF and imported back, bounded, with unknown
keys reported and a sent version's import going to the next version."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from surveys.models import SurveyVersion
from surveys.services.design import question_update, translation_update
from surveys.services.translations import (
    MAX_ROWS,
    parse_csv,
    translation_csv,
    translation_import,
    translation_xliff,
)
from tests.surveys.designing import make_survey, questions_of, versions_of


@pytest.fixture
def survey(alpha):
    return make_survey(alpha, starter="relationship_nps")


def _import(tenant, survey, name, content, language="de"):
    upload = SimpleUploadedFile(name, content)
    with tenant.context():
        try:
            return translation_import(survey=survey, actor=tenant.manager, language=language, upload=upload)
        except ValidationError as exc:
            refused = exc
    raise refused


def _translated(tenant, survey, language="de"):
    return versions_of(tenant, survey)[-1].translations.get(language, {})


def test_the_csv_lists_every_text_with_its_source_and_translation(alpha, survey):
    [version] = versions_of(alpha, survey)
    with alpha.context():
        version = translation_update(
            version=version, actor=alpha.manager, language="de", texts={"q.nps.text": "Empfehlen?"}
        )
        text = translation_csv(version=version, language="de")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "key,source,translation"
    assert "q.nps.text,How likely are you to recommend us to a friend or colleague?,Empfehlen?" in lines
    assert any(line.startswith("q.drivers.choice.price,Price,") for line in lines)
    assert any(line.startswith("email.subject,How did we do?,") for line in lines)


def test_a_csv_cell_that_starts_like_a_formula_is_neutralised_and_reads_back_as_written(alpha, survey):
    nps = questions_of(alpha, versions_of(alpha, survey)[0])[0]
    with alpha.context():
        question_update(question=nps, actor=alpha.manager, text="=HYPERLINK(1)")
        text = translation_csv(version=versions_of(alpha, survey)[0], language="de")
    assert "q.nps.text,'=HYPERLINK(1)," in text
    assert parse_csv(b"key,source,translation\nq.nps.text,,'=1+1\n") == {"q.nps.text": "=1+1"}


def test_a_csv_round_trip_stores_the_translation(alpha, survey):
    with alpha.context():
        exported = translation_csv(version=versions_of(alpha, survey)[0], language="de")
    filled = exported.replace(
        "What is the main reason for your score?,", "What is the main reason for your score?,Warum?"
    )
    result = _import(alpha, survey, "de.csv", filled.encode())
    assert result.stored == 1 and result.unknown == []
    assert _translated(alpha, survey) == {"q.reason.text": "Warum?"}


def test_an_xliff_round_trip_stores_the_translation(alpha, survey):
    with alpha.context():
        exported = translation_xliff(version=versions_of(alpha, survey)[0], language="fr")
    assert 'target-language="fr"' in exported and '<trans-unit id="q.nps.text">' in exported
    filled = exported.replace(
        "<source>Price</source>\n        <target></target>",
        "<source>Price</source>\n        <target>Prix &amp; co</target>",
    )
    result = _import(alpha, survey, "fr.xlf", filled.encode(), language="fr")
    assert result.stored == 1 and _translated(alpha, survey, "fr") == {"q.drivers.choice.price": "Prix & co"}


def test_unknown_keys_are_reported_and_not_stored(alpha, survey):
    content = b"key,source,translation\nq.nps.text,,Empfehlen?\nq.nothing.text,,Nichts\n"
    result = _import(alpha, survey, "de.csv", content)
    assert result.unknown == ["q.nothing.text"]
    assert _translated(alpha, survey) == {"q.nps.text": "Empfehlen?"}


def test_an_import_into_a_sent_version_goes_to_the_next_version(alpha, survey):
    with alpha.context():
        SurveyVersion.objects.filter(survey=survey).update(locked_at=timezone.now())
    result = _import(alpha, survey, "de.csv", b"key,source,translation\nq.nps.text,,Empfehlen?\n")
    first, second = versions_of(alpha, survey)
    assert result.version.pk == second.pk and first.translations == {}
    assert second.translations == {"de": {"q.nps.text": "Empfehlen?"}}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("big.csv", b"key,source,translation\n" + b"x" * (1024 * 1024), "larger than 1 MB"),
        ("many.csv", b"key,source,translation\n" + b"k,s,t\n" * (MAX_ROWS + 1), "more than 5000 rows"),
        ("bad.csv", b"\xff\xfe\x00k", "not UTF-8"),
        ("header.csv", b"a,b,c\nq.nps.text,,x\n", "key, source and translation"),
        (
            "bomb.xlf",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xliff><file><body>'
            b'<trans-unit id="q.nps.text"><target>&a;</target></trans-unit></body></file></xliff>',
            "DOCTYPE",
        ),
        ("broken.xlf", b"<xliff><file>", "not an XLIFF file"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(alpha, survey, name, content, message):
    with pytest.raises(ValidationError) as error:
        _import(alpha, survey, name, content)
    assert message in error.value.error_dict["file"][0].message
    assert _translated(alpha, survey) == {}
