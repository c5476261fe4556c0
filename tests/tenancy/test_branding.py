"""An organisation's branding on what its customers see: the owner sets an accent colour (refused when white text
on it would not reach WCAG AA) and a sender name; the public pages and survey pages wear the colour through the
organisation's own style sheet, and the survey emails come from the sender name in the colour."""

import pytest
from django.core import mail

from qms.audit.models import AuditEvent
from qms.outbox.services import outbox_deliver
from qms.tenancy.branding import contrast_with_white, palette
from qms.tenancy.models import Organization
from surveys.models import Invitation
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db


def _post(client, **data):
    return client.post(
        "/o/alpha/settings/", {"name": "Alpha Instruments", "time_zone": "Europe/London", "language": "en-gb", **data}
    )


def _brand(tenant, **fields):
    Organization.objects.filter(pk=tenant.organization.pk).update(**fields)
    tenant.organization.refresh_from_db()


def test_contrast_is_the_wcag_ratio_of_white_on_the_colour():
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)  # the lightest grey that passes AA


def test_the_owner_sets_an_accent_colour_and_a_sender_name_and_it_is_audited(alpha, login):
    response = _post(login(alpha.owner), accent_colour=" #1D4ED8 ", sender_name="Alpha Customer Care")
    assert response.status_code == 302
    organization = Organization.objects.get(pk=alpha.organization.pk)
    assert (organization.accent_colour, organization.sender_name) == ("#1d4ed8", "Alpha Customer Care")
    with alpha.context():
        event = AuditEvent.objects.filter(organization=alpha.organization, action="organization.update").get()
    assert event.changes == {"accent_colour": ["", "#1d4ed8"], "sender_name": ["", "Alpha Customer Care"]}


@pytest.mark.parametrize(
    ("colour", "message"),
    [("#ffcc00", "contrast of 1.5:1"), ("teal", "six hexadecimal digits"), ("#12345g", "six hexadecimal digits")],
)
def test_a_colour_customers_could_not_read_or_not_a_colour_is_refused_saying_why(alpha, login, colour, message):
    response = _post(login(alpha.owner), accent_colour=colour)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.get(pk=alpha.organization.pk).accent_colour == ""


def test_each_organisation_serves_its_own_colour_and_the_public_pages_link_it(alpha, bravo, client):
    _brand(alpha, accent_colour="#8a2d3b")
    css = client.get("/p/alpha/brand.css")
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    shades = palette(alpha.organization)
    assert css.content.decode().strip() == (
        f".public-page {{ --cl-accent: #8a2d3b; --cl-accent-dark: {shades['dark']}; "
        f"--cl-accent-soft: {shades['soft']}; }}"
    )
    assert "#8a2d3b" not in client.get("/p/bravo/brand.css").content.decode()  # bravo has chosen none
    assert client.get("/p/nobody/brand.css").status_code == 404
    assert '/p/alpha/brand.css?v=8a2d3b"' in client.get("/p/alpha/feedback/").content.decode()
    assert "brand.css" not in client.get("/p/bravo/feedback/").content.decode()


def test_the_survey_page_and_its_email_wear_the_brand(alpha, client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _brand(alpha, accent_colour="#8a2d3b", sender_name="Alpha Customer Care")
    survey = build_survey(alpha.organization)
    person = ContactFactory(customer=CustomerFactory(organization=alpha.organization))
    with alpha.context():
        chosen = contacts_for(organization=alpha.organization, contact_ids=[person.pk])
        send = survey_send(survey=survey, actor=alpha.manager, contacts=chosen)
        invitation = Invitation.objects.select_related("message").get(send=send)
        assert outbox_deliver(message_id=invitation.message_id) == "sent"
    email = mail.outbox[-1]
    assert email.extra_headers["From"].startswith("Alpha Customer Care <")
    html = email.alternatives[0][0]
    assert "background:#8a2d3b; color:#fff" in html
    page = client.get(f"/r/{invitation.message.context['token']}/").content.decode()
    assert '/p/alpha/brand.css?v=8a2d3b"' in page and "How likely are you to recommend us?" in page
