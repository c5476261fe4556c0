"""An audit event's page links to the record it is about, when that record has a page."""

from django.urls import reverse

from qms.audit.models import AuditEvent
from qms.audit.services import audit_record
from tests.factories import CustomerFactory


def test_the_event_page_links_to_its_record(alpha, login):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
        audit_record(organization=alpha.organization, actor=alpha.owner, action="test.event", obj=customer)
        event = AuditEvent.objects.filter(organization=alpha.organization).latest("seq")
    page = login(alpha.owner).get(reverse("audit:event", kwargs={"org_slug": alpha.slug, "event_id": event.pk}))
    assert f'<a href="{customer.get_absolute_url()}">Hydro Pumps plc</a>' in page.content.decode()
