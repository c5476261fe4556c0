"""notify(): whom a notification reaches, by the organisation's rules, explicitly, or by default the managers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qms.notifications.services import notify
from qms.tenancy.models import Membership, Role
from tests.factories import FeedbackItemFactory, MembershipFactory, UserFactory

from .conftest import notification_mail, notifications_of, recipients_of

FACTS = {"channel": "web_form", "kind": "complaint", "segment": "Automotive"}


def _notify(tenant, *, facts=FACTS, actor=None, recipients=None, kind="feedback.received"):
    with tenant.context():
        item = FeedbackItemFactory(organization=tenant.organization)
        return notify(
            organization=tenant.organization,
            kind=kind,
            record=item,
            title=f"New feedback {item.reference}",
            url=item.get_absolute_url(),
            facts=facts,
            recipients=recipients,
            actor=actor,
        )


def test_without_a_rule_new_feedback_goes_to_the_owners_and_managers(alpha):
    _notify(alpha)
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]


def test_a_rule_whose_conditions_match_tells_its_member_and_the_managers_no_longer_by_default(alpha, rule):
    rule(conditions={"channel": "web_form"}, member=alpha.staff)
    _notify(alpha)
    assert recipients_of(alpha) == ["staff@alpha.test"]


def test_a_rule_matches_only_when_every_condition_holds(alpha, rule):
    rule(conditions={"channel": "web_form", "kind": "compliment"}, member=alpha.staff)
    rule(conditions={"segment": "Automotive"}, member=alpha.manager)
    _notify(alpha)
    assert recipients_of(alpha) == ["manager@alpha.test"]


def test_a_rule_for_the_managers_tells_the_owners_and_managers(alpha, rule):
    rule(conditions={"kind": "complaint"})
    _notify(alpha)
    _notify(alpha, facts={**FACTS, "kind": "compliment"})
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]


def test_a_paused_rule_routes_nothing_and_leaves_the_managers_to_be_told(alpha, rule):
    rule(conditions={"channel": "web_form"}, member=alpha.staff, active=False)
    _notify(alpha)
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]


def test_a_person_matched_by_several_rules_is_told_once(alpha, rule):
    rule(conditions={"channel": "web_form"}, member=alpha.manager)
    rule(conditions={"kind": "complaint"}, member=alpha.manager)
    rule(conditions={"segment": "Automotive"})
    _notify(alpha)
    assert recipients_of(alpha) == ["manager@alpha.test", "owner@alpha.test"]
    assert [m.to_email for m in notification_mail(alpha)] == ["manager@alpha.test", "owner@alpha.test"]


def test_the_actor_is_never_told_of_what_they_did(alpha, rule):
    rule(member=alpha.staff)
    rule()
    _notify(alpha, actor=alpha.manager)
    assert recipients_of(alpha) == ["owner@alpha.test", "staff@alpha.test"]
    _notify(alpha, actor=alpha.staff, recipients=[alpha.staff], kind="feedback.assigned")
    assert recipients_of(alpha, kind="feedback.assigned") == []


def test_auditors_and_members_whose_access_ended_are_never_told(alpha, rule):
    expired, removed = UserFactory(email="expired@alpha.test"), UserFactory(email="removed@alpha.test")
    MembershipFactory(
        organization=alpha.organization, user=expired, role=Role.STAFF, expires_at=timezone.now() - timedelta(days=1)
    )
    MembershipFactory(organization=alpha.organization, user=removed, role=Role.STAFF, removed_at=timezone.now())
    for person in (alpha.auditor, expired, removed):
        rule(member=person)
    _notify(alpha, recipients=[alpha.auditor, expired, removed, alpha.staff], kind="feedback.assigned")
    _notify(alpha)
    assert recipients_of(alpha) == ["staff@alpha.test"]


def test_a_manager_demoted_to_auditor_is_no_longer_among_the_managers(alpha):
    with alpha.context():
        Membership.objects.filter(organization=alpha.organization, user=alpha.manager).update(role=Role.AUDITOR)
    _notify(alpha)
    assert recipients_of(alpha) == ["owner@alpha.test"]


def test_someone_of_another_organisation_is_never_told(alpha, bravo):
    _notify(alpha, recipients=[bravo.manager, alpha.staff], kind="feedback.assigned")
    assert recipients_of(alpha) == ["staff@alpha.test"]
    assert notifications_of(bravo) == []


def test_a_person_who_turned_the_kind_off_is_not_told(alpha, prefer):
    prefer(alpha.owner, muted=["feedback.received"])
    _notify(alpha)
    assert recipients_of(alpha) == ["manager@alpha.test"]


def test_immediate_people_get_an_outbox_email_and_digest_people_wait(alpha, prefer):
    prefer(alpha.owner, delivery="digest")
    [for_manager, for_owner] = sorted(_notify(alpha), key=lambda n: n.recipient.email)
    [mail] = notification_mail(alpha)
    assert (mail.to_email, mail.state) == ("manager@alpha.test", "pending")
    assert for_manager.title in mail.subject and "Alpha Instruments" in mail.subject
    assert f"http://127.0.0.1:8000{for_manager.url}" in mail.body_text
    assert "/o/alpha/notifications/settings/" in mail.body_html
    assert (for_manager.email, for_manager.emailed_at is not None) == ("immediate", True)
    assert (for_owner.email, for_owner.emailed_at) == ("digest", None)


def test_a_kind_no_module_declares_is_refused(alpha):
    with pytest.raises(ValueError, match="no.such"):
        _notify(alpha, kind="no.such")
