"""The surveys module's routes in the isolation and role sweeps (tests/sweep/core.py)."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from surveys.models import Question, Survey, SurveyVersion
from surveys.services.design import survey_create, translation_update
from tests.sweep.core import GET_POST, POST, Case

# --- designing (surveys/views/design.py) ---------------------------------------------------------------------


def _design_world(tenant, marker):
    """A relationship NPS survey whose version 1 has been sent (so every edit starts version 2 and the questions
    the routes name stay), translated into German; and a second survey to archive and save as a template."""
    with tenant.context():
        survey = survey_create(
            organization=tenant.organization,
            actor=tenant.manager,
            name=f"{marker} survey",
            description=f"{marker} description",
            starter="relationship_nps",
        )
        version = SurveyVersion.objects.get(organization=tenant.organization, survey=survey)
        translation_update(version=version, actor=tenant.manager, language="de", texts={"email.subject": "Wie?"})
        SurveyVersion.objects.filter(pk=version.pk).update(locked_at=timezone.now())
        other = survey_create(organization=tenant.organization, actor=tenant.manager, name=f"{marker} other survey")
        questions = {q.code: q for q in Question.objects.filter(organization=tenant.organization, version=version)}
    return {"survey": survey, "other_survey": other, "nps": questions["nps"], "reason": questions["reason"]}


def _design_snapshot(tenant):
    organization = tenant.organization
    return {
        "surveys": list(
            Survey.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "name", "status", "privacy", "default_language", "is_template", "archived_at")
        ),
        "versions": list(
            SurveyVersion.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "survey", "number", "texts", "translations", "locked_at")
        ),
        "questions": list(
            Question.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "version", "position", "code", "kind", "text", "condition", "choices")
        ),
    }


def _survey(w):
    return {"survey_id": w.extra["survey"].pk}


def _question(key):
    return lambda w: {"survey_id": w.extra["survey"].pk, "question_id": w.extra[key].pk}


def _translation(w):
    return {"survey_id": w.extra["survey"].pk, "language": "de"}


def _settings(**overrides):
    return {
        "name": "Renamed by the sweep", "description": "", "default_language": "en-gb", "privacy": "identified",
        "anonymity_threshold": 5, "invitation_days": 30, "thank_you_url": "", **overrides,
    }  # fmt: skip


def _translation_file(w):
    content = b"key,source,translation\nq.nps.text,,Wie wahrscheinlich empfehlen Sie uns?\n"
    return {"file": SimpleUploadedFile("sweep.csv", content, content_type="text/csv")}


DESIGN_CASES = {
    "surveys:survey_list": Case(shows=("{marker} survey", "{marker} other survey")),
    "surveys:survey_create": Case(
        methods=GET_POST, form=lambda w: _settings(name="Created by the sweep", starter="transactional_csat")
    ),
    "surveys:survey_detail": Case(target=_survey),
    "surveys:survey_edit": Case(methods=GET_POST, target=_survey, form=lambda w: _settings()),
    "surveys:question_add": Case(
        methods=GET_POST, target=_survey, form=lambda w: {"kind": "csat", "text": "Added by the sweep"}
    ),
    "surveys:question_edit": Case(
        methods=GET_POST, target=_question("nps"), form=lambda w: {"kind": "nps", "text": "Edited by the sweep"}
    ),
    "surveys:question_move": Case(methods=POST, target=_question("nps"), form=lambda w: {"direction": "down"}),
    "surveys:question_duplicate": Case(methods=POST, target=_question("nps")),
    "surveys:question_delete": Case(methods=POST, target=_question("reason")),
    "surveys:survey_texts": Case(
        methods=GET_POST, target=_survey, form=lambda w: {"email.subject": "Asked by the sweep", "thanks.title": "Ta"}
    ),
    "surveys:translation_add": Case(methods=POST, target=_survey, form=lambda w: {"language": "fr"}),
    "surveys:translation_edit": Case(
        methods=GET_POST, target=_translation, form=lambda w: {"q.nps.text": "Übersetzt vom Sweep"}
    ),
    "surveys:translation_export": Case(target=_translation),
    "surveys:translation_import": Case(methods=GET_POST, target=_translation, form=_translation_file),
    "surveys:survey_preview": Case(target=_survey),
    "surveys:survey_save_template": Case(methods=POST, target=lambda w: {"survey_id": w.extra["other_survey"].pk}),
    "surveys:survey_archive": Case(methods=POST, target=lambda w: {"survey_id": w.extra["other_survey"].pk}),
}


# --- every area ----------------------------------------------------------------------------------------------


def populate(tenant, marker):
    return {**_design_world(tenant, marker)}


def snapshot(tenant):
    return {**_design_snapshot(tenant)}


CASES: dict[str, Case] = {**DESIGN_CASES}
