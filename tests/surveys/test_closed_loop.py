"""The closed loop: a response that meets a survey's follow-up rule gets one follow-up in the feedback inbox, given
to the customer's account owner (or the rule's person), who is told; the item and the response are linked both ways.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from feedback.models import FeedbackItem
from qms.links.selectors import links_of
from qms.notifications.models import Notification
from surveys.models import FollowUp, LoopRule
from surveys.services.follow_ups import follow_up_text, follow_ups_open
from surveys.services.loop import loop_rule_delete, loop_rule_update
from tests.surveys.builders import ONE_PAGE, add_rule, build_survey

pytestmark = pytest.mark.django_db


def test_a_rule_is_checked_against_the_surveys_questions(alpha):
    survey = build_survey(alpha.organization)
    refusals = [
        ({"question_code": "nope"}, "question_code"),
        ({"value": "11"}, "value"),  # NPS runs 0–10
        ({"value": "six"}, "value"),
        ({"condition": "contains", "value": "late"}, "condition"),  # a score holds no words
        ({"question_code": "fix", "condition": "equals", "value": "speed"}, "value"),  # not one of its choices
        ({"assign_to": "person"}, "assignee"),  # the person is missing
        ({"assign_to": "person", "assignee": alpha.auditor}, "assignee"),
    ]
    for fields, field in refusals:
        with pytest.raises(ValidationError) as refused, transaction.atomic():
            add_rule(alpha, survey, **fields)
        assert field in refused.value.message_dict, fields
    rule = add_rule(alpha, survey, question_code="why", condition="contains", value="late")
    assert str(rule) == "why contains late"


def test_matching_reads_scores_texts_and_choices():
    at_most = LoopRule(question_code="nps", condition="at_most", value="6")
    assert [at_most.matches(v) for v in (0, 6, 7, None, "", "3")] == [True, True, False, False, False, False]
    contains = LoopRule(question_code="why", condition="contains", value="Late")
    assert contains.matches("It came LATE again") and not contains.matches("on time")
    equals = LoopRule(question_code="fix", condition="equals", value="support")
    assert equals.matches(["price", "support"]) and not equals.matches(["price"]) and equals.matches("support")


def test_a_detractor_gets_one_follow_up_given_to_the_account_owner_and_linked_both_ways(alpha, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE, name="Relationship NPS")
    add_rule(alpha, survey)
    response = answer(survey, nps=3, why="The delivery was late.", owner=alpha.staff)
    with alpha.context():
        follow_up = FollowUp.objects.get(response=response)  # written with the answer, before any worker runs
        assert follow_up.item is None
        assert follow_ups_open(organization=alpha.organization) == 1
        assert follow_ups_open(organization=alpha.organization) == 0  # once per response
        item = FeedbackItem.objects.get(organization=alpha.organization)
        follow_up.refresh_from_db()
        assert follow_up.item == item
        assert (item.kind, item.channel, item.assignee) == ("concern", "survey", alpha.staff)
        assert item.contact == response.contact
        assert item.customer == response.contact.customer and item.received_on == response.submitted_on
        assert "Grace Hopper answered the survey" in item.text and "The delivery was late." in item.text
        assert "3 / 10" in item.text
        assert [linked.record for linked in links_of(organization=alpha.organization, record=item)] == [response]
        assert [linked.record for linked in links_of(organization=alpha.organization, record=response)] == [item]
        told = Notification.objects.filter(recipient=alpha.staff, kind="feedback.assigned")
        assert told.count() == 1 and item.reference in told.get().title


def test_a_promoter_or_a_paused_or_deleted_rule_opens_nothing(alpha, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    rule = add_rule(alpha, survey)
    answer(survey, nps=9)
    with alpha.context():
        loop_rule_update(rule=rule, actor=alpha.manager, active=False)
    answer(survey, nps=2)
    with alpha.context():
        loop_rule_update(rule=rule, actor=alpha.manager, active=True)
        loop_rule_delete(rule=LoopRule.objects.get(pk=rule.pk), actor=alpha.manager)
    answer(survey, nps=1)
    with alpha.context():
        assert FollowUp.objects.count() == 0
        with pytest.raises(ValidationError), transaction.atomic():
            loop_rule_update(rule=LoopRule.objects.get(pk=rule.pk), actor=alpha.manager, active=True)


def test_the_answer_notes_every_active_rule_of_its_survey_it_meets_and_no_other(alpha, answer):
    survey, other = build_survey(alpha.organization, questions=ONE_PAGE), build_survey(alpha.organization)
    low = add_rule(alpha, survey, value="6")
    paused = add_rule(alpha, survey, value="8")
    late = add_rule(alpha, survey, question_code="why", condition="contains", value="late")
    add_rule(alpha, other, value="9")  # another survey's rule, read with none of this survey's answers
    add_rule(alpha, survey, value="1")  # not met by a 3
    with alpha.context():
        loop_rule_update(rule=paused, actor=alpha.manager, active=False)
    response = answer(survey, nps=3, why="It came LATE.")
    with alpha.context():
        follow_up = FollowUp.objects.get()
        assert follow_up.response == response and follow_up.rule == low
        assert follow_up.matched == [low.pk, late.pk]


def test_without_an_account_owner_the_named_person_takes_it_and_without_one_nobody(alpha, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    add_rule(alpha, survey, assignee=alpha.manager)  # the account owner, else the manager
    add_rule(alpha, survey, question_code="why", condition="contains", value="rude")
    answer(survey, nps=4)
    answer(survey, nps=9, why="Your driver was rude.")  # the second rule only: no owner, no person
    with alpha.context():
        follow_ups_open(organization=alpha.organization)
        items = {item.assignee for item in FeedbackItem.objects.filter(organization=alpha.organization)}
        assert items == {alpha.manager, None}
        both = FollowUp.objects.get(response__answers__text="Your driver was rude.")
        assert "why contains rude" in follow_up_text(both)


def test_an_anonymous_detractor_is_followed_up_without_a_name(alpha, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE, privacy="anonymous", anonymity_threshold=2)
    add_rule(alpha, survey, assignee=alpha.manager)
    assert answer(survey, nps=2, why="Too slow.", owner=alpha.staff) is None  # waits for a second answer
    assert answer(survey, nps=10, owner=alpha.staff) is None  # released together, holding no invitation
    with alpha.context():
        follow_ups_open(organization=alpha.organization)
        item = FeedbackItem.objects.get(organization=alpha.organization)
        assert item.text.startswith("An anonymous detractor wrote in answer to the survey")
        assert item.contact is None and item.customer is None
        assert item.assignee == alpha.manager  # nobody's account owner can be known
