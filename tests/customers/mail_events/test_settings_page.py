"""The owner's settings page: the secret is shown on the answer that makes it, never again; rotating is audited."""

from django.urls import reverse

from qms.audit.models import AuditEvent


def _url(tenant, name="mail_events_settings"):
    return reverse(f"customers:{name}", kwargs={"org_slug": tenant.slug})


def test_the_secret_is_shown_once_and_rotating_is_audited_without_it(alpha, login):
    client = login(alpha.owner)
    made = client.post(_url(alpha, "mail_events_rotate"))
    secret = made.context["secret"]
    assert made.status_code == 200 and secret in made.content.decode() and "no-store" in made["Cache-Control"]
    page = client.get(_url(alpha)).content.decode()
    assert secret not in page and secret[-4:] in page and "/hooks/alpha/mail-events/" in page
    rotated = client.post(_url(alpha, "mail_events_rotate")).context["secret"]
    assert rotated != secret
    with alpha.context():
        events = AuditEvent.objects.filter(organization=alpha.organization, action__startswith="mail_events.secret")
        assert [e.action for e in events.order_by("seq")] == ["mail_events.secret_create", "mail_events.secret_rotate"]
        assert not any(secret in str(e.changes) or rotated in str(e.changes) for e in events)


def test_only_the_owner_rotates(alpha, login):
    assert login(alpha.manager).post(_url(alpha, "mail_events_rotate")).status_code == 403
    assert login(alpha.manager).get(_url(alpha)).status_code == 200
