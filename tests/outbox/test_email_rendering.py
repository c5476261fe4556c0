"""Plain-text parts and subjects are text, not HTML: names with & or < arrive as typed; the HTML part escapes them."""

from qms.accounts.services import invitation_create
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization


def test_an_invitation_shows_the_organisation_name_as_typed_in_text_and_escaped_in_html(alpha):
    Organization.objects.filter(pk=alpha.organization.pk).update(name="Smith & Sons <Quality>")
    alpha.organization.refresh_from_db()
    with alpha.context():
        invitation_create(organization=alpha.organization, actor=alpha.owner, email="new@alpha.test", role="staff")
        message = OutboxMessage.objects.get(organization=alpha.organization, to_email="new@alpha.test")
    assert message.subject.endswith("Smith & Sons <Quality> on Closeloop")
    assert "join Smith & Sons <Quality> on Closeloop" in message.body_text
    assert "Smith &amp; Sons &lt;Quality&gt;" in message.body_html
