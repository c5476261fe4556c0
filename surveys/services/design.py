"""Designing surveys: the survey's settings, its questions, its texts and translations; each write audited.

A version that has been sent is locked (`SurveyVersion.locked_at`): its questions and texts never change under its
answers. Question and text writes go to an unlocked version only; `editable_version` gives the one to write to,
starting a new version (the same question codes, the same texts and translations) when the latest is locked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.audit.writes import audited_create, audited_update, lock
from qms.tenancy.models import Organization
from qms.tenancy.references import next_reference
from surveys import rules
from surveys.models import AnonymousSubmission, Question, Response, Survey, SurveyVersion
from surveys.starters import STARTERS
from surveys.texts import SURVEY_TEXTS, UI_TEXTS, base, required_keys

PRIVACY_FIELDS = ("privacy", "anonymity_threshold", "kept_attributes")
EDITABLE = (
    "name", "description", "default_language", "invitation_days", "thank_you_url", *PRIVACY_FIELDS,
)  # fmt: skip
QUESTION_FIELDS = (
    "kind", "text", "help_text", "required", "scale_max", "low_label", "high_label", "choices", "new_page",
    "condition",
)  # fmt: skip
VERSION_TEXT_KEYS = (*SURVEY_TEXTS, *UI_TEXTS)


# --- the survey ---------------------------------------------------------------------------------------------


def has_answers(survey: Survey) -> bool:
    """Responses or anonymous answers waiting for release exist: the survey's privacy is fixed."""
    lookup = {"organization_id": survey.organization_id, "survey_id": survey.pk}
    return Response.objects.filter(**lookup).exists() or AnonymousSubmission.objects.filter(**lookup).exists()


def _check_settings(fields: Mapping[str, Any]) -> None:
    if "name" in fields and not str(fields["name"]).strip():
        raise ValidationError({"name": _("Give the survey a name.")})
    if "default_language" in fields and fields["default_language"] not in rules.LANGUAGE_CODES:
        raise ValidationError({"default_language": _("Choose a language.")})
    if "privacy" in fields and fields["privacy"] not in Survey.Privacy.values:
        raise ValidationError({"privacy": _("Choose identified or anonymous answers.")})
    threshold = fields.get("anonymity_threshold", 5)
    if not isinstance(threshold, int) or not 2 <= threshold <= 100:
        raise ValidationError({"anonymity_threshold": _("Give a group size from 2 to 100.")})
    days = fields.get("invitation_days", 30)
    if not isinstance(days, int) or not 1 <= days <= 365:
        raise ValidationError({"invitation_days": _("Give a number of days from 1 to 365.")})
    kept = fields.get("kept_attributes", [])
    if not isinstance(kept, list) or not set(kept) <= set(Survey.Attribute.values):
        raise ValidationError({"kept_attributes": _("Choose among the attributes offered.")})


def _default_texts(language: str) -> dict[str, str]:
    with translation.override(language):
        return {key: str(text) for key, text in SURVEY_TEXTS.items() if str(text)}


def _starter_content(starter: Survey | str | None, *, organization: Organization, language: str) -> tuple[list, dict]:
    """The questions' fields and the translations a new survey starts from."""
    if starter is None or starter == "":
        return [], {}
    if isinstance(starter, str):
        if starter not in STARTERS:
            raise ValidationError({"starter": _("Choose one of the surveys offered to start from.")})
        return STARTERS[starter].question_fields(language), {}
    if starter.organization_id != organization.pk or not starter.is_template:
        raise ValidationError({"starter": _("Choose one of the surveys offered to start from.")})
    version = latest_version(starter)
    questions = [{"code": q.code, **{f: getattr(q, f) for f in QUESTION_FIELDS}} for q in version.questions.all()]
    return questions, {"texts": dict(version.texts), "translations": dict(version.translations)}


def survey_create(  # noqa: PLR0913 - a survey's settings
    *,
    organization: Organization,
    actor: User,
    name: str,
    starter: Survey | str | None = None,
    default_language: str | None = None,
    description: str = "",
    privacy: str = Survey.Privacy.IDENTIFIED,
    anonymity_threshold: int = 5,
    kept_attributes: Sequence[str] = (),
    invitation_days: int = 30,
    thank_you_url: str = "",
) -> Survey:
    """A new draft survey with version 1: the starter's questions (a built-in key of surveys.starters or a saved
    template of this organisation) and the default texts, in the default language (the organisation's unless said;
    a saved template's when starting from one)."""
    if default_language is None:
        template = isinstance(starter, Survey) and starter.organization_id == organization.pk
        default_language = starter.default_language if template else organization.language  # type: ignore[union-attr]
    fields = {
        "name": name.strip(), "description": description, "default_language": default_language, "privacy": privacy,
        "anonymity_threshold": anonymity_threshold, "kept_attributes": list(kept_attributes),
        "invitation_days": invitation_days, "thank_you_url": thank_you_url,
    }  # fmt: skip
    _check_settings(fields)
    questions, copied = _starter_content(starter, organization=organization, language=default_language)
    with transaction.atomic():
        survey = audited_create(
            instance=Survey(
                organization=organization,
                reference=next_reference(organization=organization, prefix="S"),
                created_by=actor,
                **fields,
            ),
            actor=actor,
            action="survey.create",
            extra_changes={"starter": [None, _starter_label(starter)]} if starter else None,
        )
        version = SurveyVersion.objects.create(
            organization=organization,
            survey=survey,
            number=1,
            texts=copied.get("texts") or _default_texts(default_language),
            translations=copied.get("translations") or {},
        )
        for position, question in enumerate(questions, start=1):
            Question.objects.create(organization=organization, version=version, position=position, **question)
    return survey


def _starter_label(starter: Survey | str | None) -> str:
    if isinstance(starter, Survey):
        return str(starter)
    return str(STARTERS[starter].name) if starter in STARTERS else ""


def survey_update(*, survey: Survey, actor: User, **fields: Any) -> Survey:
    """Change the survey's settings. Its privacy (mode, kept attributes, threshold) is fixed once it has answers;
    its default language once a version has been sent."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"survey_update cannot change {sorted(unknown)}")
    if "name" in fields:
        fields["name"] = str(fields["name"]).strip()
    _check_settings(fields)

    def prepare(locked: Survey) -> None:
        _refuse_archived(locked)
        changed = [name for name in PRIVACY_FIELDS if name in fields and fields[name] != getattr(locked, name)]
        if changed and has_answers(locked):
            message = _("The survey has answers: its privacy settings can no longer change.")
            raise ValidationError({changed[0]: message})
        if fields.get("default_language", locked.default_language) != locked.default_language:
            if locked.versions.filter(locked_at__isnull=False).exists():
                message = _("The survey has been sent: its default language can no longer change.")
                raise ValidationError({"default_language": message})
            if any(base(lang) == base(fields["default_language"]) for lang in latest_version(locked).translations):
                message = _("Remove the translation into this language first, or choose another language.")
                raise ValidationError({"default_language": message})

    survey, _changes = audited_update(
        instance=survey, actor=actor, action="survey.update", data=fields, prepare=prepare
    )
    return survey


def _refuse_archived(survey: Survey) -> None:
    if survey.archived_at is not None:
        raise ValidationError(_("This survey is archived: it can no longer be changed."))


def survey_save_as_template(*, survey: Survey, actor: User) -> Survey:
    """Offer the survey (its latest version) to start new surveys from."""

    def prepare(locked: Survey) -> dict[str, Any]:
        if locked.is_template:
            raise ValidationError(_("This survey is already a template."))
        return {"is_template": True}

    survey, _changes = audited_update(instance=survey, actor=actor, action="survey.save_template", prepare=prepare)
    return survey


def survey_archive(*, survey: Survey, actor: User) -> Survey:
    """Put the survey away: it leaves the list and is no longer offered as a template; its answers stay."""

    def prepare(locked: Survey) -> dict[str, Any]:
        if locked.archived_at is not None:
            raise ValidationError(_("This survey is already archived."))
        if locked.status == Survey.Status.OPEN:
            raise ValidationError(_("Close the survey before archiving it."))
        return {"archived_at": timezone.now(), "is_template": False}

    survey, _changes = audited_update(instance=survey, actor=actor, action="survey.archive", prepare=prepare)
    return survey


def survey_transition(*, survey: Survey, actor: User, name: str) -> Survey:
    """Close the survey (its links answer "closed", nothing more is sent) or reopen it: Survey.workflow's "close"
    and "reopen". Opening happens by itself, at the first send."""
    transition = Survey.workflow[name]
    if transition.automatic:
        raise ValidationError(_("A survey opens by itself when it is first sent."))

    def prepare(locked: Survey) -> dict[str, Any]:
        _refuse_archived(locked)
        return Survey.workflow.apply(locked, name)

    survey, _changes = audited_update(instance=survey, actor=actor, action=f"survey.{name}", prepare=prepare)
    return survey


# --- versions -----------------------------------------------------------------------------------------------


def latest_version(survey: Survey) -> SurveyVersion:
    version = SurveyVersion.objects.filter(organization_id=survey.organization_id, survey=survey).first()
    if version is None:  # every survey is created with version 1
        raise SurveyVersion.DoesNotExist
    version.survey = survey
    return version


def editable_version(*, survey: Survey, actor: User) -> SurveyVersion:
    """The version new edits go to: the latest when it has not been sent, else a new one copying every question
    (the same codes), its texts and its translations."""
    with transaction.atomic():
        survey = lock(survey)
        _refuse_archived(survey)
        latest = latest_version(survey)
        if not latest.is_locked:
            return latest
        version = SurveyVersion.objects.create(
            organization_id=survey.organization_id,
            survey=survey,
            number=latest.number + 1,
            texts=dict(latest.texts),
            translations={lang: dict(texts) for lang, texts in latest.translations.items()},
        )
        Question.objects.bulk_create(
            Question(
                organization_id=survey.organization_id,
                version=version,
                position=question.position,
                code=question.code,
                **{name: getattr(question, name) for name in QUESTION_FIELDS},
            )
            for question in latest.questions.all()
        )
        audit_record(
            organization=survey.organization,
            actor=actor,
            action="survey.new_version",
            obj=survey,
            changes={"number": [latest.number, version.number]},
        )
    version.survey = survey
    return version


def _writable(version: SurveyVersion) -> SurveyVersion:
    """The version, locked for this transaction, or a refusal when it has been sent."""
    locked = lock(version, "survey")
    if locked.is_locked:
        raise ValidationError(_("This version has been sent and can no longer change: edit the survey's new version."))
    _refuse_archived(locked.survey)
    return locked


def _touch(version: SurveyVersion) -> None:
    version.updated_at = timezone.now()
    version.save(update_fields=["updated_at"])


# --- questions ----------------------------------------------------------------------------------------------


def _questions(version: SurveyVersion) -> list[Question]:
    return list(Question.objects.filter(organization_id=version.organization_id, version=version).order_by("position"))


def _new_code(version: SurveyVersion, kind: str) -> str:
    """A code never used by any version of the survey: its kind, then a counter (nps, nps-2, …)."""
    used = set(
        Question.objects.filter(
            organization_id=version.organization_id, version__survey_id=version.survey_id
        ).values_list("code", flat=True)
    )
    stem = slugify(kind)[:30]
    if stem not in used:
        return stem
    counter = 2
    while f"{stem}-{counter}" in used:
        counter += 1
    return f"{stem}-{counter}"


def _clean_fields(fields: Mapping[str, Any], *, earlier: list[Question]) -> dict[str, Any]:
    """The question's fields checked (kind, words, scale, choices, condition) and normalised for storage."""
    kind = fields["kind"]
    choices = [{"value": str(c["value"]), "label": str(c["label"]).strip()} for c in fields.get("choices") or []]
    scale_max = fields.get("scale_max") if kind == Question.Kind.RATING else None
    rules.check_question(kind=kind, text=str(fields.get("text", "")), scale_max=scale_max, choices=choices)
    condition = rules.check_condition(fields.get("condition") or {}, earlier=earlier)
    scored = kind in Question.SCORED
    return {
        "kind": kind,
        "text": str(fields["text"]).strip(),
        "help_text": str(fields.get("help_text") or "").strip(),
        "required": bool(fields.get("required")),
        "scale_max": scale_max,
        "low_label": str(fields.get("low_label") or "").strip() if scored else "",
        "high_label": str(fields.get("high_label") or "").strip() if scored else "",
        "choices": choices if kind in Question.CHOICES else [],
        "new_page": bool(fields.get("new_page")),
        "condition": condition,
    }


def _described(question: Question) -> str:
    return f"{question.code}: {question.text}"


def _audit_questions(version: SurveyVersion, actor: User, changes: dict) -> None:
    _touch(version)
    audit_record(
        organization=version.survey.organization, actor=actor, action="survey.questions", obj=version.survey,
        changes={"version": [None, version.number], **changes},
    )  # fmt: skip


def question_add(*, version: SurveyVersion, actor: User, position: int | None = None, **fields: Any) -> Question:
    """Add a question at the end (or at `position`, 1 for the first) of an unsent version."""
    with transaction.atomic():
        version = _writable(version)
        questions = _questions(version)
        at = len(questions) + 1 if position is None else max(1, min(position, len(questions) + 1))
        cleaned = _clean_fields(fields, earlier=questions[: at - 1])
        for later in questions[at - 1 :]:
            later.position += 1
            later.save(update_fields=["position"])
        question = Question.objects.create(
            organization_id=version.organization_id,
            version=version,
            position=at,
            code=_new_code(version, cleaned["kind"]),
            **cleaned,
        )
        _audit_questions(version, actor, {"question": [None, _described(question)]})
    return question


def _dependents(question: Question, questions: list[Question]) -> list[Question]:
    return [q for q in questions if (q.condition or {}).get("question") == question.code and q.pk != question.pk]


def question_update(*, question: Question, actor: User, **fields: Any) -> Question:
    """Change a question of an unsent version; a later question whose condition no longer fits it is named."""
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise TypeError(f"question_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        version = _writable(question.version)
        questions = _questions(version)
        current = next(q for q in questions if q.pk == question.pk)
        earlier = [q for q in questions if q.position < current.position]
        cleaned = _clean_fields({**{f: getattr(current, f) for f in QUESTION_FIELDS}, **fields}, earlier=earlier)
        before = {name: getattr(current, name) for name in QUESTION_FIELDS}
        for name, value in cleaned.items():
            setattr(current, name, value)
        for dependent in _dependents(current, questions):
            if not rules.condition_still_holds(dependent.condition, current):
                message = _("“%(question)s” is shown depending on this answer: change its condition first.")
                raise ValidationError(message % {"question": dependent.text})
        changes = {
            f"{current.code}.{name}": [before[name], value] for name, value in cleaned.items() if before[name] != value
        }
        if changes:
            current.save(update_fields=list(cleaned))
            _audit_questions(version, actor, changes)
    return current


def _order(questions: list[Question]) -> list[str]:
    return [q.code for q in questions]


def question_move(
    *, question: Question, actor: User, direction: str | None = None, position: int | None = None
) -> Question:
    """Move a question up or down one place, or to `position` (1 for the first). A question cannot move above the
    question its condition depends on, nor below a question that depends on it."""
    with transaction.atomic():
        version = _writable(question.version)
        questions = _questions(version)
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        if direction in ("up", "down"):
            target = index - 1 if direction == "up" else index + 1
        elif position is not None:
            target = position - 1
        else:
            raise ValidationError({"position": _("Say where the question goes.")})
        target = max(0, min(target, len(questions) - 1))
        if target == index:
            return questions[index]
        before = _order(questions)
        moved = questions.pop(index)
        questions.insert(target, moved)
        _check_order(questions)
        for number, q in enumerate(questions, start=1):
            if q.position != number:
                q.position = number
                q.save(update_fields=["position"])
        _audit_questions(version, actor, {"order": [before, _order(questions)]})
    return moved


def _check_order(questions: list[Question]) -> None:
    """Every condition refers to a question before it."""
    seen: dict[str, Question] = {}
    by_code = {q.code: q for q in questions}
    for q in questions:
        code = (q.condition or {}).get("question")
        if code and code not in seen:
            message = _("“%(question)s” is shown depending on “%(source)s”, so it must stay after it.")
            raise ValidationError({"position": message % {"question": q.text, "source": by_code[code].text}})
        seen[q.code] = q


def question_duplicate(*, question: Question, actor: User) -> Question:
    """A copy of the question right after it, with a new code."""
    fields = {name: getattr(question, name) for name in QUESTION_FIELDS}
    return question_add(version=question.version, actor=actor, position=question.position + 1, **fields)


def question_delete(*, question: Question, actor: User) -> None:
    """Remove a question from an unsent version; refused while a later question depends on it."""
    with transaction.atomic():
        version = _writable(question.version)
        questions = _questions(version)
        current = next(q for q in questions if q.pk == question.pk)
        if dependents := _dependents(current, questions):
            message = _("“%(question)s” is shown depending on this answer: change or delete it first.")
            raise ValidationError(message % {"question": dependents[0].text})
        current.delete()
        for number, q in enumerate((q for q in questions if q.pk != current.pk), start=1):
            if q.position != number:
                q.position = number
                q.save(update_fields=["position"])
        _audit_questions(version, actor, {"question": [_described(current), None]})


# --- texts and translations ---------------------------------------------------------------------------------


def _cleaned_texts(texts: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, str]:
    unknown = sorted(set(texts) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown texts: %(keys)s.") % {"keys": ", ".join(unknown[:10])})
    return {key: str(value or "").strip() for key, value in texts.items()}


def version_texts_update(*, version: SurveyVersion, actor: User, texts: Mapping[str, Any]) -> SurveyVersion:
    """The default language's survey texts (the email, the welcome and thank-you pages) of an unsent version."""
    with transaction.atomic():
        version = _writable(version)
        given = _cleaned_texts(texts, VERSION_TEXT_KEYS)
        merged = {**version.texts, **given}
        merged = {key: value for key, value in merged.items() if value}
        changes = {key: [version.texts.get(key), merged.get(key)] for key in given}
        changes = {key: pair for key, pair in changes.items() if pair[0] != pair[1]}
        if changes:
            version.texts = merged
            version.save(update_fields=["texts"])
            _audit_texts(version, actor, "survey.update", changes)
    return version


def translatable_keys(version: SurveyVersion, language: str) -> list[str]:
    """The keys a translation into `language` may hold: every text of the version, and the page's own words."""
    keys = required_keys(version, language)
    return [*keys, *(key for key in UI_TEXTS if key not in keys), *(key for key in SURVEY_TEXTS if key not in keys)]


def translation_update(
    *, version: SurveyVersion, actor: User, language: str, texts: Mapping[str, Any]
) -> SurveyVersion:
    """Set texts of the translation into `language` of an unsent version (an empty text removes it); a key the
    version does not have is refused."""
    if language not in rules.LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose a language.")})
    with transaction.atomic():
        version = _writable(version)
        if base(language) == base(version.survey.default_language):
            raise ValidationError({"language": _("This is the survey's default language: edit its texts instead.")})
        given = _cleaned_texts(texts, translatable_keys(version, language))
        current = dict(version.translations.get(language) or {})
        merged = {key: value for key, value in {**current, **given}.items() if value}
        changes = {f"{language}.{key}": [current.get(key), merged.get(key)] for key in given}
        changes = {key: pair for key, pair in changes.items() if pair[0] != pair[1]}
        if changes or language not in version.translations:
            version.translations = {**version.translations, language: merged}
            version.save(update_fields=["translations"])
            _audit_texts(version, actor, "survey.translation", changes or {"language": [None, language]})
    return version


def _audit_texts(version: SurveyVersion, actor: User, action: str, changes: dict) -> None:
    _touch(version)
    audit_record(
        organization=version.survey.organization, actor=actor, action=action, obj=version.survey,
        changes={"version": [None, version.number], **changes},
    )  # fmt: skip
