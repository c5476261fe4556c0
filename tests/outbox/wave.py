"""A survey wave's emails as a campaign writes them: every contact of the organisation invited to one survey version
(surveys' sending service, email_enqueue_many with the surveys renderer), committed, due now."""

from customers.models import Contact
from surveys.models import SurveySend
from surveys.services.sending import survey_send
from tests.surveys.builders import build_survey


def survey_wave(tenant, *, name: str = "Wave survey") -> SurveySend:
    with tenant.context():
        survey = build_survey(tenant.organization, name=name)
        return survey_send(
            survey=survey, actor=tenant.manager, contacts=Contact.objects.filter(organization=tenant.organization)
        )
