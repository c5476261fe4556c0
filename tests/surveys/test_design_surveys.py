"""surveys.services.design: creating a survey from a starter or a template, its settings, privacy fixed once
answered, templates and archiving; every write audited."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from qms.audit.models import AuditEvent
from surveys.models import Survey, SurveyVersion
from surveys.services.design import (
    survey_archive,
    survey_create,
    survey_save_as_template,
    survey_update,
)
from surveys.starters import STARTERS
from surveys.texts import SURVEY_TEXTS
from tests.factories import AnonymousSubmissionFactory, ResponseFactory
from tests.surveys.designing import make_survey, questions_of, versions_of


def test_a_new_survey_has_a_reference_version_1_and_the_default_texts_in_the_organisations_language(alpha):
    survey = make_survey(alpha, name="  Yearly NPS ")
    assert survey.reference.startswith("S-") and survey.name == "Yearly NPS"
    assert (survey.status, survey.default_language, survey.created_by) == ("draft", "en-gb", alpha.manager)
    [version] = versions_of(alpha, survey)
    assert version.number == 1 and not version.is_locked
    assert version.texts["email.subject"] == "How did we do?"
    assert version.texts["thanks.title"] == "Thank you"
    with alpha.context():
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="survey.create")
    assert event.changes["name"] == [None, "Yearly NPS"]


def test_the_default_texts_and_starter_questions_are_written_in_the_surveys_default_language(alpha):
    survey = make_survey(alpha, default_language="de", starter="relationship_nps")
    [version] = versions_of(alpha, survey)
    with translation.override("de"):
        assert version.texts["thanks.title"] == str(SURVEY_TEXTS["thanks.title"])
        expected = [str(question.text) for question in STARTERS["relationship_nps"].questions]
    assert [q.text for q in questions_of(alpha, version)] == expected


def test_two_surveys_get_two_references(alpha):
    assert make_survey(alpha).reference != make_survey(alpha).reference


def test_an_unknown_starter_or_language_is_refused(alpha):
    with pytest.raises(ValidationError) as error:
        make_survey(alpha, starter="nothing")
    assert "starter" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        make_survey(alpha, default_language="xx-nowhere")
    assert "default_language" in error.value.error_dict


def test_a_survey_starts_from_a_saved_template_with_its_questions_texts_and_translations(alpha):
    template = make_survey(alpha, name="Our template", starter="ces", default_language="de")
    with alpha.context():
        version = SurveyVersion.objects.get(survey=template)
        version.translations = {"fr": {"email.subject": "Comment?"}}
        version.save()
        template = survey_save_as_template(survey=template, actor=alpha.manager)
    survey = make_survey(alpha, name="From the template", starter=template)
    assert survey.default_language == "de"
    [copied] = versions_of(alpha, survey)
    assert [q.code for q in questions_of(alpha, copied)] == ["ces", "difficult", "agent"]
    assert copied.translations == {"fr": {"email.subject": "Comment?"}}


def test_a_survey_that_is_not_a_template_or_of_another_organisation_is_no_starter(alpha, bravo):
    plain = make_survey(alpha, name="Plain")
    with pytest.raises(ValidationError):
        make_survey(alpha, starter=plain)
    with bravo.context():
        theirs = survey_create(organization=bravo.organization, actor=bravo.manager, name="Theirs")
        survey_save_as_template(survey=theirs, actor=bravo.manager)
    with pytest.raises(ValidationError):
        make_survey(alpha, starter=theirs)


def test_settings_change_and_are_audited(alpha):
    survey = make_survey(alpha)
    with alpha.context():
        survey = survey_update(survey=survey, actor=alpha.manager, name="Renamed", privacy="anonymous",
                               kept_attributes=["segment"], anonymity_threshold=8)  # fmt: skip
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="survey.update")
    assert (survey.name, survey.privacy, survey.kept_attributes, survey.anonymity_threshold) == (
        "Renamed", "anonymous", ["segment"], 8,
    )  # fmt: skip
    assert event.changes["privacy"] == ["identified", "anonymous"]


@pytest.mark.parametrize("factory", [ResponseFactory, AnonymousSubmissionFactory])
@pytest.mark.parametrize(
    ("field", "value"), [("privacy", "anonymous"), ("anonymity_threshold", 9), ("kept_attributes", ["region"])]
)
def test_privacy_is_fixed_once_the_survey_has_answers(alpha, factory, field, value):
    survey = make_survey(alpha)
    [version] = versions_of(alpha, survey)
    with alpha.context():
        factory(version=version)
    with alpha.context(), pytest.raises(ValidationError) as error:
        survey_update(survey=survey, actor=alpha.manager, **{field: value})
    assert "can no longer change" in error.value.error_dict[field][0].message
    with alpha.context():
        assert survey_update(survey=survey, actor=alpha.manager, name="Still renamable").name == "Still renamable"


def test_the_default_language_is_fixed_once_sent(alpha):
    survey = make_survey(alpha)
    with alpha.context():
        SurveyVersion.objects.filter(survey=survey).update(locked_at=timezone.now())
        with pytest.raises(ValidationError) as error:
            survey_update(survey=survey, actor=alpha.manager, default_language="de")
    assert "default_language" in error.value.error_dict


@pytest.mark.parametrize(("field", "value"), [("anonymity_threshold", 1), ("invitation_days", 0), ("name", " ")])
def test_settings_out_of_bounds_are_refused(alpha, field, value):
    survey = make_survey(alpha)
    with alpha.context(), pytest.raises(ValidationError) as error:
        survey_update(survey=survey, actor=alpha.manager, **{field: value})
    assert field in error.value.error_dict


def test_a_survey_is_saved_as_a_template_once_and_archived_once(alpha):
    survey = make_survey(alpha)
    with alpha.context():
        survey = survey_save_as_template(survey=survey, actor=alpha.manager)
        assert survey.is_template
        with pytest.raises(ValidationError):
            survey_save_as_template(survey=survey, actor=alpha.manager)
        survey = survey_archive(survey=survey, actor=alpha.manager)
        assert survey.archived_at and not survey.is_template
        with pytest.raises(ValidationError):
            survey_archive(survey=survey, actor=alpha.manager)
        with pytest.raises(ValidationError):
            survey_update(survey=survey, actor=alpha.manager, name="Changed")


def test_an_open_survey_is_closed_before_it_is_archived(alpha):
    survey = make_survey(alpha)
    with alpha.context():
        Survey.objects.filter(pk=survey.pk).update(status="open")
        with pytest.raises(ValidationError, match="Close the survey"):
            survey_archive(survey=survey, actor=alpha.manager)
