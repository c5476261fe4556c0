"""The closed loop through the API: the follow-up rules (read, create, change; audited like the page) and the
responses (list with the page's filters, read) with their follow-up."""

import pytest

from surveys.models import FollowUp, LoopRule
from surveys.services.follow_ups import follow_ups_open
from tests.api_client import events
from tests.surveys.builders import ONE_PAGE, add_rule, build_survey

pytestmark = pytest.mark.django_db


def test_a_manager_adds_a_rule_and_pauses_it_each_write_audited(alpha, api):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    client = api(alpha, "manager")
    body = {"question_code": "nps", "condition": "at_most", "value": "6", "assignee": alpha.manager.pk}
    created = client.post(f"surveys/{survey.pk}/follow-up-rules/", body)
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["condition"], rule["value"], rule["assign_to"], rule["assignee"]) == (
        "at_most", "6", "account_owner", alpha.manager.email,
    )  # fmt: skip
    paused = client.patch(f"follow-up-rules/{rule['id']}/", {"active": False})
    assert paused.status_code == 200 and paused.json()["active"] is False
    assert [e.action for e in events(alpha, "loop_rule.create")] == ["loop_rule.create"]
    assert events(alpha, "loop_rule.update")[0].changes["active"] == [True, False]
    listed = client.get(f"surveys/{survey.pk}/follow-up-rules/").json()
    assert [r["id"] for r in listed["results"]] == [rule["id"]]


def test_a_rule_the_survey_cannot_meet_is_refused_with_the_reason(alpha, api):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    client = api(alpha, "manager")
    refused = client.post(f"surveys/{survey.pk}/follow-up-rules/", {"question_code": "nps", "condition": "at_most",
                                                                   "value": "12"})  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["value"] == ["Give a number from 0 to 10, the question's scale."]
    body = {"question_code": "nps", "condition": "at_most", "value": "6", "assignee": alpha.auditor.pk}
    auditor = client.post(f"surveys/{survey.pk}/follow-up-rules/", body)
    assert auditor.status_code == 400 and "assignee" in auditor.json()
    assert api(alpha, "staff").post(f"surveys/{survey.pk}/follow-up-rules/", {}).status_code == 403
    with alpha.context():
        assert not LoopRule.objects.exists()


def test_responses_are_listed_with_their_answers_and_follow_up_and_filtered_by_it(alpha, api, answer):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    add_rule(alpha, survey)
    detractor = answer(survey, nps=2, why="Late again.", owner=alpha.staff)
    promoter = answer(survey, nps=10)
    with alpha.context():
        follow_ups_open(organization=alpha.organization)
        item = FollowUp.objects.get().item
    client = api(alpha, "auditor")  # auditors read the answers and the loop
    listed = client.get(f"surveys/{survey.pk}/responses/").json()
    by_id = {r["id"]: r for r in listed["results"]}
    assert by_id[detractor.pk]["answers"] == {"nps": 2, "why": "Late again."}
    assert by_id[detractor.pk]["follow_up"] == {"item": item.reference, "status": "new", "assignee": alpha.staff.email}
    assert by_id[promoter.pk]["follow_up"] is None
    followed = client.get(f"surveys/{survey.pk}/responses/", {"follow_up": "any"}).json()
    assert [r["id"] for r in followed["results"]] == [detractor.pk]
    none = client.get(f"surveys/{survey.pk}/responses/", {"follow_up": "none"}).json()
    assert [r["id"] for r in none["results"]] == [promoter.pk]
    later = client.get(f"surveys/{survey.pk}/responses/", {"answered_from": "2999-01-01"}).json()
    assert later["results"] == []
    bad = client.get(f"surveys/{survey.pk}/responses/", {"follow_up": "maybe"})
    assert bad.status_code == 400 and "follow_up" in bad.json()
    one = client.get(f"responses/{detractor.pk}/").json()
    assert one["contact"] == detractor.contact_id and one["follow_up"]["item"] == item.reference
