"""surveys.services.design: questions added, changed, moved, duplicated and deleted on an unsent version only,
with their rules (choices, scales, conditions on an earlier question); a sent version starts a new one with the
same codes."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qms.audit.models import AuditEvent
from surveys.models import SurveyVersion
from surveys.services.design import (
    editable_version,
    question_add,
    question_delete,
    question_duplicate,
    question_move,
    question_update,
    translation_update,
)
from tests.surveys.designing import make_survey, questions_of, versions_of

CHOICES = [{"value": "price", "label": "Price"}, {"value": "support", "label": "Support"}]


def _version(tenant, survey):
    return versions_of(tenant, survey)[-1]


def _refused(tenant, write, **kwargs):
    """The service's refusal, caught inside the tenant's context (whose block is no savepoint)."""
    with tenant.context(), pytest.raises(ValidationError) as error:
        write(**kwargs)
    return error.value


def _add(tenant, version, **fields):
    with tenant.context():
        return question_add(version=version, actor=tenant.manager, **fields)


def test_questions_are_added_at_the_end_with_codes_from_their_kind(alpha):
    version = _version(alpha, make_survey(alpha))
    first = _add(alpha, version, kind="nps", text="Recommend us?", required=True)
    second = _add(alpha, version, kind="nps", text="Recommend our service?")
    text = _add(alpha, version, kind="long_text", text="Why?", help_text="In your own words.")
    assert [(q.position, q.code) for q in (first, second, text)] == [(1, "nps"), (2, "nps-2"), (3, "long_text")]
    assert first.required and not second.required and text.help_text == "In your own words."
    with alpha.context():
        events = AuditEvent.objects.filter(organization=alpha.organization, action="survey.questions")
        assert events.count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "single", "text": "Pick", "choices": CHOICES[:1]}, "choices"),
        ({"kind": "multiple", "text": "Pick", "choices": [CHOICES[0], CHOICES[0]]}, "choices"),
        ({"kind": "rating", "text": "Rate", "scale_max": 11}, "scale_max"),
        ({"kind": "rating", "text": "Rate", "scale_max": 1}, "scale_max"),
        ({"kind": "csat", "text": " "}, "text"),
        ({"kind": "matrix", "text": "No such kind"}, "kind"),
    ],
)
def test_a_malformed_question_is_refused_naming_its_field(alpha, fields, field):
    version = _version(alpha, make_survey(alpha))
    error = _refused(alpha, question_add, version=version, actor=alpha.manager, **fields)
    assert field in error.error_dict


def test_a_rating_keeps_its_scale_and_a_choice_question_its_choices(alpha):
    version = _version(alpha, make_survey(alpha))
    rating = _add(alpha, version, kind="rating", text="Rate the driver", scale_max=10)
    choice = _add(alpha, version, kind="single", text="Which product?", choices=CHOICES, scale_max=7)
    assert rating.scale == (1, 10) and choice.scale_max is None and choice.choices == CHOICES


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"question": "later", "op": "equals", "value": "x"}, "before it"),
        ({"question": "nps", "op": "in", "value": [1, 2]}, "cannot be compared"),
        ({"question": "nps", "op": "at_most", "value": 11}, "from 0 to 10"),
        ({"question": "pick", "op": "at_most", "value": 3}, "cannot be compared"),
        ({"question": "pick", "op": "equals", "value": "nothing"}, "Choose among the choices"),
        ({"question": "pick", "op": "equals", "value": ["price", "support"]}, "one choice"),
        ({"question": "why", "op": "equals", "value": "x"}, "cannot be compared"),
    ],
)
def test_a_condition_must_fit_an_earlier_question(alpha, condition, message):
    version = _version(alpha, make_survey(alpha))
    _add(alpha, version, kind="nps", text="Recommend us?")
    _add(alpha, version, kind="single", text="Which?", choices=CHOICES)
    with alpha.context():
        version.questions.filter(code="single").update(code="pick")
    _add(alpha, version, kind="long_text", text="Why?")
    with alpha.context():
        version.questions.filter(code="long_text").update(code="why")
    error = _refused(alpha, question_add, version=version, actor=alpha.manager, kind="long_text", text="More?",
                     condition=condition)  # fmt: skip
    assert message in error.error_dict["condition"][0].message


def test_conditions_that_fit_are_stored(alpha):
    version = _version(alpha, make_survey(alpha))
    _add(alpha, version, kind="csat", text="Satisfied?")
    _add(alpha, version, kind="multiple", text="Which?", choices=CHOICES)
    low = _add(
        alpha, version, kind="long_text", text="Why?", condition={"question": "csat", "op": "at_most", "value": 3}
    )
    several = {"question": "multiple", "op": "in", "value": ["price", "support", "price"]}
    some = _add(alpha, version, kind="long_text", text="Tell", condition=several)
    assert low.condition == {"question": "csat", "op": "at_most", "value": 3}
    assert some.condition["value"] == ["price", "support"]


def test_a_sent_version_is_never_written_and_the_next_edit_starts_a_version_with_the_same_codes(alpha):
    survey = make_survey(alpha, starter="relationship_nps")
    first = _version(alpha, survey)
    with alpha.context():
        translation_update(version=first, actor=alpha.manager, language="de", texts={"q.nps.text": "Empfehlen?"})
        SurveyVersion.objects.filter(pk=first.pk).update(locked_at=timezone.now())
        first.refresh_from_db()
    nps = questions_of(alpha, first)[0]
    error = _refused(alpha, question_update, question=nps, actor=alpha.manager, text="Changed")
    assert "has been sent" in error.messages[0]
    error = _refused(alpha, question_add, version=first, actor=alpha.manager, kind="csat", text="New")
    with alpha.context():
        second = editable_version(survey=survey, actor=alpha.manager)
        assert editable_version(survey=survey, actor=alpha.manager).pk == second.pk  # not sent: edited in place
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="survey.new_version")
    assert second.number == 2 and event.changes["number"] == [1, 2]
    assert [(q.code, q.kind, q.condition) for q in questions_of(alpha, second)] == [
        (q.code, q.kind, q.condition) for q in questions_of(alpha, first)
    ]
    assert second.texts == first.texts and second.translations == {"de": {"q.nps.text": "Empfehlen?"}}
    assert questions_of(alpha, first)[0].text == nps.text


def test_a_question_is_moved_up_down_or_to_a_position(alpha):
    version = _version(alpha, make_survey(alpha))
    one, two, three = (_add(alpha, version, kind="short_text", text=t) for t in ("One", "Two", "Three"))
    with alpha.context():
        question_move(question=three, actor=alpha.manager, direction="up")
        assert [q.text for q in questions_of(alpha, version)] == ["One", "Three", "Two"]
        question_move(question=one, actor=alpha.manager, direction="down")
        question_move(question=two, actor=alpha.manager, position=1)
        question_move(question=two, actor=alpha.manager, direction="up")  # already first: nothing happens
    assert [(q.position, q.text) for q in questions_of(alpha, version)] == [(1, "Two"), (2, "Three"), (3, "One")]


def test_a_question_cannot_move_above_what_it_depends_on_nor_below_what_depends_on_it(alpha):
    version = _version(alpha, make_survey(alpha, starter="relationship_nps"))
    nps, reason, drivers = questions_of(alpha, version)
    error = _refused(alpha, question_move, question=drivers, actor=alpha.manager, position=1)
    assert "must stay after it" in error.messages[0] and nps.text in error.messages[0]
    with alpha.context():
        question_move(question=nps, actor=alpha.manager, direction="down")  # still above drivers
    error = _refused(alpha, question_move, question=nps, actor=alpha.manager, direction="down")
    assert drivers.text in error.messages[0]


def test_a_question_others_depend_on_cannot_be_deleted_until_they_no_longer_do(alpha):
    version = _version(alpha, make_survey(alpha, starter="relationship_nps"))
    nps, reason, drivers = questions_of(alpha, version)
    error = _refused(alpha, question_delete, question=nps, actor=alpha.manager)
    assert drivers.text in error.messages[0]
    with alpha.context():
        question_delete(question=reason, actor=alpha.manager)
        question_update(question=drivers, actor=alpha.manager, condition={})
        question_delete(question=nps, actor=alpha.manager)
    assert [(q.position, q.code) for q in questions_of(alpha, version)] == [(1, "drivers")]


def test_changing_a_question_under_a_condition_is_refused_when_the_condition_no_longer_fits(alpha):
    version = _version(alpha, make_survey(alpha, starter="relationship_nps"))
    nps = questions_of(alpha, version)[0]
    error = _refused(alpha, question_update, question=nps, actor=alpha.manager, kind="long_text")
    assert "change its condition first" in error.messages[0]


def test_a_duplicate_comes_right_after_its_original_with_a_new_code(alpha):
    version = _version(alpha, make_survey(alpha, starter="transactional_csat"))
    csat = questions_of(alpha, version)[0]
    with alpha.context():
        copy = question_duplicate(question=csat, actor=alpha.manager)
    assert (copy.position, copy.text, copy.kind, copy.required) == (2, csat.text, "csat", True)
    assert copy.code not in {q.code for q in questions_of(alpha, version) if q.pk != copy.pk}
    assert [q.position for q in questions_of(alpha, version)] == [1, 2, 3, 4]


def test_a_sent_questions_code_is_never_given_to_another_question(alpha):
    survey = make_survey(alpha)
    first = _version(alpha, survey)
    sent = _add(alpha, first, kind="ces", text="Easy?")
    with alpha.context():
        SurveyVersion.objects.filter(pk=first.pk).update(locked_at=timezone.now())
        second = editable_version(survey=survey, actor=alpha.manager)
        question_delete(question=second.questions.get(code=sent.code), actor=alpha.manager)
    assert _add(alpha, second, kind="ces", text="Easy enough?").code == "ces-2"
