"""Designing a survey: the list, a survey's page with its questions in order, its settings, questions, texts and
translations, and a preview of the customer's page.

Everyone reads surveys; owners and managers design them. Every edit goes to the survey's editable version
(surveys.services.design.editable_version): editing a survey that has been sent starts its next version, and a
question is found there by its code. An edit that fails leaves no new version behind (one transaction)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qms.forms import add_service_errors
from qms.listing import paginate
from qms.permissions import permission
from qms.sorting import Sorts
from qms.tenancy.requests import MemberRequest
from surveys.filters import survey_filters
from surveys.forms.design import (
    SURVEY_TEXT_KEYS,
    SURVEY_TEXT_LABELS,
    LanguageForm,
    QuestionForm,
    SurveyCreateForm,
    SurveySettingsForm,
    TextsForm,
    TranslationImportForm,
)
from surveys.models import Question, Survey, SurveyVersion
from surveys.preview import shown_when
from surveys.rules import LANGUAGE_CODES, language_name
from surveys.selectors.surveys import (
    access_question,
    access_survey,
    survey_versions,
    translation_status,
    version_questions,
)
from surveys.services import design
from surveys.services.translations import translation_csv, translation_import, translation_rows, translation_xliff
from surveys.texts import base
from surveys.views.respond import Preview, respondent_step

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from qms.accounts.models import User

SURVEY_SORTS = Sorts(
    default="-created",
    name=("name",),
    reference=("reference",),
    status=("status", "name"),
    created=("created_at",),
    responses=("response_count", "name"),
)


@require_GET
@permission("surveys.view")
def survey_list(request: MemberRequest, org_slug: str) -> HttpResponse:
    filters = survey_filters(organization=request.organization, params=request.GET)
    surveys, sorting = SURVEY_SORTS.apply(filters.qs, request.GET)
    context = {"page": paginate(request, surveys), "sorting": sorting, "filters": filters.values, "filterset": filters}
    return render(request, "surveys/list.html", context)


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def survey_create(request: MemberRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    form = SurveyCreateForm(
        request.POST or None,
        organization=organization,
        initial={"privacy": Survey.Privacy.IDENTIFIED, "starter": request.GET.get("starter", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            survey = design.survey_create(organization=organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(reference)s was created: add or change its questions.") % _named(survey))
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    return render(request, "surveys/form.html", {"form": form, "survey": None})


def _named(survey: Survey) -> dict[str, str]:
    return {"reference": survey.reference, "name": survey.name}


def _detail_context(request: MemberRequest, survey: Survey) -> dict[str, Any]:
    versions = survey_versions(survey=survey)
    version = versions[0]
    questions = version_questions(version=version)
    numbers = {q.code: number for number, q in enumerate(questions, start=1)}
    for question in questions:
        question.shown_when = shown_when(question, numbers)  # type: ignore[attr-defined]  # read by the page
    attributes = dict(Survey.Attribute.choices)
    return {
        "survey": survey,
        "version": version,
        "versions": versions,
        "questions": questions,
        "kept_labels": [attributes.get(value, value) for value in survey.kept_attributes],
        "languages": translation_status(version=version, questions=questions),
        "language_form": LanguageForm(),
        "kinds": Question.Kind.choices,
        "archived": survey.archived_at is not None,
    }


@require_GET
@permission("surveys.view")
def survey_detail(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    """A survey's page: its questions in order (with their editing buttons for managers), its versions, how
    complete each translation is."""
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    return render(request, "surveys/detail.html", _detail_context(request, survey))


def _back(request: MemberRequest, survey: Survey) -> HttpResponse:
    """After a write on the survey's page: the page again for htmx (it swaps the questions in place), else a
    redirect to it."""
    if request.htmx:
        fresh = access_survey(organization=request.organization, survey_id=survey.pk)
        return render(request, "surveys/detail.html", _detail_context(request, fresh))
    return redirect("surveys:survey_detail", org_slug=survey.organization.slug, survey_id=survey.pk)


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def survey_edit(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    form = SurveySettingsForm(request.POST or None, initial=SurveySettingsForm.initial_for(survey))
    if request.method == "POST" and form.is_valid():
        try:
            design.survey_update(survey=survey, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The settings of %(reference)s were saved.") % _named(survey))
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    context = {"form": form, "survey": survey, "has_answers": design.has_answers(survey)}
    return render(request, "surveys/form.html", context)


# --- questions ----------------------------------------------------------------------------------------------


def _same_question(version: SurveyVersion, question: Question) -> Question:
    """The question of the same code in the editable version (itself when that is its version)."""
    if question.version_id == version.pk:
        return question
    found = Question.objects.filter(organization_id=version.organization_id, version=version, code=question.code)
    same = found.first()
    if same is None:
        raise Http404(_("This question is no longer in the survey."))
    same.version = version
    return same


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def question_add(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    latest = survey_versions(survey=survey)[0]
    kind = request.GET.get("kind", "")
    initial = {"kind": kind if kind in Question.Kind.values else Question.Kind.NPS, "scale_max": 5}
    form = QuestionForm(request.POST or None, earlier=version_questions(version=latest), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                version = design.editable_version(survey=survey, actor=request.user)
                question = design.question_add(version=version, actor=request.user, **form.question_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Question %(position)d was added.") % {"position": question.position})
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    return render(request, "surveys/question_form.html", {"form": form, "survey": survey, "question": None})


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def question_edit(request: MemberRequest, org_slug: str, survey_id: int, question_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    question = access_question(survey=survey, question_id=question_id)
    earlier = [q for q in version_questions(version=question.version) if q.position < question.position]
    form = QuestionForm(
        request.POST or None, earlier=earlier, current=question, initial=QuestionForm.initial_for(question)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                version = design.editable_version(survey=survey, actor=request.user)
                target = _same_question(version, question)
                design.question_update(question=target, actor=request.user, **form.question_fields())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Question %(position)d was saved.") % {"position": question.position})
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    return render(request, "surveys/question_form.html", {"form": form, "survey": survey, "question": question})


QuestionWrite = Callable[[MemberRequest, Question], str]


def _question_write(request: MemberRequest, survey_id: int, question_id: int, write: QuestionWrite) -> HttpResponse:
    """One of the small question actions of the survey's page (move, duplicate, delete): on the editable version,
    the message said on the page, a refusal said as the reason."""
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    question = access_question(survey=survey, question_id=question_id)
    try:
        with transaction.atomic():
            version = design.editable_version(survey=survey, actor=request.user)
            message = write(request, _same_question(version, question))
    except Http404 as exc:  # another manager deleted it from the version being edited
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return _back(request, survey)


def _move(request: MemberRequest, question: Question) -> str:
    direction = request.POST.get("direction", "")
    position = request.POST.get("position", "")
    at = int(position) if position.isascii() and position.isdigit() and len(position) < 6 else None
    if direction not in ("up", "down") and at is None:
        raise ValidationError(_("Say where the question goes: up, down or a position."))
    moved = design.question_move(
        question=question, actor=request.user, direction=direction if direction in ("up", "down") else None, position=at
    )
    return _("“%(question)s” is now question %(position)d.") % {"question": moved.text, "position": moved.position}


def _duplicate(request: MemberRequest, question: Question) -> str:
    copy = design.question_duplicate(question=question, actor=request.user)
    return _("Question %(position)d is a copy of question %(original)d.") % {
        "position": copy.position,
        "original": question.position,
    }


def _delete(request: MemberRequest, question: Question) -> str:
    design.question_delete(question=question, actor=request.user)
    return _("“%(question)s” was deleted.") % {"question": question.text}


def _question_action(write: QuestionWrite) -> Callable[..., HttpResponse]:
    @require_POST
    @permission("surveys.manage")
    def view(request: MemberRequest, org_slug: str, survey_id: int, question_id: int) -> HttpResponse:
        return _question_write(request, survey_id, question_id, write)

    view.__name__ = view.__qualname__ = f"question{write.__name__}"
    return view


question_move = _question_action(_move)
question_duplicate = _question_action(_duplicate)
question_delete = _question_action(_delete)


# --- texts and translations ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def survey_texts(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    """The survey's own texts in its default language: the invitation email, the welcome and thank-you pages."""
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    latest = survey_versions(survey=survey)[0]
    labels = {key: str(label) for key, label in SURVEY_TEXT_LABELS.items()}
    form = TextsForm(request.POST or None, keys=SURVEY_TEXT_KEYS, labels=labels, initial=dict(latest.texts))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                version = design.editable_version(survey=survey, actor=request.user)
                design.version_texts_update(version=version, actor=request.user, texts=form.texts())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The texts of %(reference)s were saved.") % _named(survey))
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    return render(request, "surveys/texts.html", {"form": form, "survey": survey})


def _language(survey: Survey, language: str) -> str:
    if language not in LANGUAGE_CODES or base(language) == base(survey.default_language):
        raise Http404(_("The survey has no translation into this language."))
    return language


@require_POST
@permission("surveys.manage")
def translation_add(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    form = LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a language to translate the survey into."))
        return _back(request, survey)
    language = form.cleaned_data["language"]
    try:
        with transaction.atomic():
            version = design.editable_version(survey=survey, actor=request.user)
            design.translation_update(version=version, actor=request.user, language=language, texts={})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, survey)
    return redirect("surveys:translation_edit", org_slug=org_slug, survey_id=survey.pk, language=language)


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def translation_edit(request: MemberRequest, org_slug: str, survey_id: int, language: str) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    language = _language(survey, language)
    latest = survey_versions(survey=survey)[0]
    rows = translation_rows(version=latest, language=language)
    keys = [key for key, _source, _target in rows]
    form = TextsForm(
        request.POST or None,
        keys=keys,
        labels={key: key for key in keys},
        sources={key: source for key, source, _target in rows},
        initial={key: target for key, _source, target in rows},
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                version = design.editable_version(survey=survey, actor=request.user)
                design.translation_update(version=version, actor=request.user, language=language, texts=form.texts())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message = _("The %(language)s translation of %(reference)s was saved.")
            messages.success(request, message % {"language": language_name(language), **_named(survey)})
            return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
    context = {"form": form, "survey": survey, "language": language, "language_name": language_name(language)}
    return render(request, "surveys/translation.html", context)


@require_GET
@permission("surveys.view")
def translation_export(request: MemberRequest, org_slug: str, survey_id: int, language: str) -> HttpResponse:
    """The translation for a translator: CSV, or XLIFF 1.2 with ?format=xliff."""
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    language = _language(survey, language)
    version = survey_versions(survey=survey)[0]
    name = f"{survey.reference}-v{version.number}-{language}"
    if request.GET.get("format") == "xliff":
        response = HttpResponse(translation_xliff(version=version, language=language), "application/x-xliff+xml")
        response["Content-Disposition"] = f'attachment; filename="{name}.xlf"'
        return response
    response = HttpResponse(translation_csv(version=version, language=language), "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@require_http_methods(["GET", "POST"])
@permission("surveys.manage")
def translation_import_view(request: MemberRequest, org_slug: str, survey_id: int, language: str) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    language = _language(survey, language)
    form = TranslationImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                with transaction.atomic():
                    result = translation_import(
                        survey=survey, actor=request.user, language=language, upload=form.cleaned_data["file"]
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                message = _("%(count)d texts of the %(language)s translation were imported.")
                messages.success(request, message % {"count": result.stored, "language": language_name(language)})
                if result.unknown:
                    unknown = _("These keys are not in the survey and were left out: %(keys)s.")
                    messages.warning(request, unknown % {"keys": ", ".join(result.unknown[:20])})
                return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)
        status = 400
    context = {"form": form, "survey": survey, "language": language, "language_name": language_name(language)}
    return render(request, "surveys/translation_import.html", context, status=status)


# --- preview, templates, archive ----------------------------------------------------------------------------


@require_GET
@permission("surveys.view")
def survey_preview(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    """The customer's page itself (surveys/views/respond.py), for the latest version in any of its languages
    (?lang=): its display logic works page by page, and nothing is recorded."""
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    version = survey_versions(survey=survey)[0]
    url = reverse("surveys:survey_preview", kwargs={"org_slug": org_slug, "survey_id": survey.pk})
    note = {
        "text": _("Preview of version %(number)s, as your customers see it: nothing you answer is recorded.")
        % {"number": version.number},
        "back": _("Back to the survey"),
        "back_url": survey.get_absolute_url(),
        "language": get_language(),
    }
    preview = Preview(request, version=version, url=url, note=note)
    if not preview.questions:
        messages.info(request, _("The survey has no question yet: add one to preview it."))
        return redirect(survey.get_absolute_url())
    if "action" in request.GET:
        return respondent_step(preview, request, request.GET)
    return preview.render_page(preview.form(0))


def _survey_write(write: Callable[..., Survey], done: StrOrPromise) -> Callable[..., HttpResponse]:
    @require_POST
    @permission("surveys.manage")
    def view(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
        survey = access_survey(organization=request.organization, survey_id=survey_id)
        try:
            write(survey=survey, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, str(done) % _named(survey))
        return redirect("surveys:survey_detail", org_slug=org_slug, survey_id=survey.pk)

    view.__name__ = view.__qualname__ = write.__name__
    return view


SAVED_AS_TEMPLATE = gettext_lazy("%(reference)s is now a template: new surveys can start from it.")
ARCHIVED = gettext_lazy("%(reference)s was archived; its answers stay.")
CLOSED = gettext_lazy("%(reference)s is closed: its links no longer take answers and it cannot be sent.")
REOPENED = gettext_lazy("%(reference)s is open again: its links take answers until they expire.")


def _transition(name: str) -> Callable[..., Survey]:
    def write(*, survey: Survey, actor: User) -> Survey:
        return design.survey_transition(survey=survey, actor=actor, name=name)

    write.__name__ = f"survey_{name}"
    return write


survey_save_template = _survey_write(design.survey_save_as_template, SAVED_AS_TEMPLATE)
survey_archive = _survey_write(design.survey_archive, ARCHIVED)
survey_close = _survey_write(_transition("close"), CLOSED)
survey_reopen = _survey_write(_transition("reopen"), REOPENED)

survey_path = "surveys/<int:survey_id>/"
question_path = f"{survey_path}questions/<int:question_id>/"
translation_path = f"{survey_path}translations/<str:language>/"
urlpatterns = [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/new/", survey_create, name="survey_create"),
    path(survey_path, survey_detail, name="survey_detail"),
    path(f"{survey_path}edit/", survey_edit, name="survey_edit"),
    path(f"{survey_path}questions/new/", question_add, name="question_add"),
    path(question_path, question_edit, name="question_edit"),
    path(f"{question_path}move/", question_move, name="question_move"),
    path(f"{question_path}duplicate/", question_duplicate, name="question_duplicate"),
    path(f"{question_path}delete/", question_delete, name="question_delete"),
    path(f"{survey_path}texts/", survey_texts, name="survey_texts"),
    path(f"{survey_path}translations/", translation_add, name="translation_add"),
    path(translation_path, translation_edit, name="translation_edit"),
    path(f"{translation_path}export/", translation_export, name="translation_export"),
    path(f"{translation_path}import/", translation_import_view, name="translation_import"),
    path(f"{survey_path}preview/", survey_preview, name="survey_preview"),
    path(f"{survey_path}save-template/", survey_save_template, name="survey_save_template"),
    path(f"{survey_path}archive/", survey_archive, name="survey_archive"),
    path(f"{survey_path}close/", survey_close, name="survey_close"),
    path(f"{survey_path}reopen/", survey_reopen, name="survey_reopen"),
]
