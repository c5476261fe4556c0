"""The closed loop's pages: a survey's follow-up rules (managers add, pause and delete them; everyone else reads),
the follow-ups its answers opened, and a response that shows its follow-up's state."""

import pytest
from django.urls import reverse

from feedback.services.inbox import feedback_close
from surveys.models import FollowUp, LoopRule
from surveys.services.follow_ups import follow_ups_open
from tests.surveys.builders import ONE_PAGE, add_rule, build_survey

pytestmark = pytest.mark.django_db


def _url(alpha, name, **kwargs):
    return reverse(f"surveys:{name}", kwargs={"org_slug": alpha.organization.slug, **kwargs})


def test_a_manager_adds_a_rule_on_the_page_and_a_refused_one_says_why(alpha, login):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    client = login(alpha.manager)
    page = client.get(_url(alpha, "loop_rules", survey_id=survey.pk)).content.decode()
    assert "No follow-up rules yet" in page and "Add a rule" in page
    body = {"question_code": "nps", "condition": "contains", "value": "x", "assign_to": "account_owner"}
    refused = client.post(_url(alpha, "loop_rules", survey_id=survey.pk), body)
    assert refused.status_code == 422
    assert "A score cannot contain words: compare it with a number." in refused.content.decode()
    added = client.post(_url(alpha, "loop_rules", survey_id=survey.pk),
                        {"question_code": "nps", "condition": "at_most", "value": "6", "assign_to": "person",
                         "assignee": alpha.staff.pk}, follow=True)  # fmt: skip
    shown = added.content.decode()
    assert "The rule was added" in shown and "How likely are you to recommend us?" in shown and "is at most" in shown
    with alpha.context():
        rule = LoopRule.objects.get()
    client.post(_url(alpha, "loop_rule_active", survey_id=survey.pk, rule_id=rule.pk), {"active": "0"})
    with alpha.context():
        assert LoopRule.objects.get().active is False
    client.post(_url(alpha, "loop_rule_delete", survey_id=survey.pk, rule_id=rule.pk))
    with alpha.context():
        assert LoopRule.objects.get().deleted_at is not None
    assert "No follow-up rules yet" in client.get(_url(alpha, "loop_rules", survey_id=survey.pk)).content.decode()


def test_staff_read_the_rules_without_the_form(alpha, login):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    add_rule(alpha, survey)
    page = login(alpha.staff).get(_url(alpha, "loop_rules", survey_id=survey.pk)).content.decode()
    assert "is at most" in page and "Add a rule" not in page and "Pause" not in page


def test_the_response_and_the_lists_show_the_follow_ups_state_until_it_is_closed(alpha, login, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    add_rule(alpha, survey)
    response = answer(survey, nps=0, why="Broken on arrival.", owner=alpha.staff)
    client = login(alpha.manager)
    detail = _url(alpha, "response_detail", survey_id=survey.pk, response_id=response.pk)
    assert "its concern is being opened in the feedback inbox" in client.get(detail).content.decode()
    with alpha.context():
        follow_ups_open(organization=alpha.organization)
        item = FollowUp.objects.get().item
    page = client.get(detail).content.decode()
    assert item.reference in page and "New" in page and "Given to" in page
    with alpha.context():
        feedback_close(feedback=item, actor=alpha.staff, note="Called the customer; replaced it.")
    page = client.get(detail).content.decode()
    assert "Closed" in page and "closed on" in page
    responses = _url(alpha, "response_list", survey_id=survey.pk)
    assert item.reference in client.get(responses, {"follow_up": "closed"}).content.decode()
    assert "No response matches these filters" in client.get(responses, {"follow_up": "open"}).content.decode()
    loop = client.get(_url(alpha, "loop_rules", survey_id=survey.pk)).content.decode()
    assert item.reference in loop and "Closed" in loop
