"""What the surveys hold about a contact, for the directory's export and erasure (customers/privacy.py).

A contact's survey data is their invitations, their identified responses and the answers they had begun. An
anonymous survey's answers hold nothing that points to them (no invitation, no contact, only the day), so they
are neither exported nor erased: they are nobody's.

Erasure deletes the answers begun and not submitted, and takes the person's name, email and phone out of the
text answers of their identified responses (scores and choices stay, so the results stay true); each response is
marked erased and audited without the values.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import ngettext_lazy

from customers.models import Contact
from customers.privacy import Erased, HeldData, scrub
from qms.accounts.models import User
from qms.audit.sealing import subject_of
from qms.audit.services import audit_record
from qms.tenancy.models import Organization

from .models import Answer, Invitation, PartialResponse, Response
from .services.responses import answer_value


def contact_responses(*, organization: Organization, contact: Contact) -> QuerySet[Response]:
    return Response.objects.filter(organization=organization, contact=contact).order_by("submitted_on", "pk")


def _invitation(invitation: Invitation) -> dict:
    return {
        "survey": invitation.survey.reference,
        "survey_name": invitation.survey.name,
        "invited_at": invitation.created_at,
        "language": invitation.language,
        "expires_at": invitation.expires_at,
        "answered_at": invitation.answered_at,
        "revoked_at": invitation.revoked_at,
    }


def _response(response: Response) -> dict:
    return {
        "survey": response.survey.reference,
        "version": response.version.number,
        "answered_at": response.submitted_at or response.submitted_on,
        "language": response.language,
        "answers": [
            {"question": answer.question.text, "answer": answer_value(answer, answer.question)}
            for answer in sorted(response.answers.all(), key=lambda a: a.question.position)
        ],
    }


class SurveyPrivacy:
    def export(self, *, organization: Organization, contact: Contact) -> HeldData:
        invitations = Invitation.objects.filter(organization=organization, contact=contact).select_related("survey")
        responses = (
            contact_responses(organization=organization, contact=contact)
            .select_related("survey", "version")
            .prefetch_related("answers__question")
        )
        return HeldData(
            sections={
                "survey_invitations": [_invitation(i) for i in invitations.order_by("created_at", "pk")],
                "survey_responses": [_response(r) for r in responses],
            }
        )

    def erasure_summary(self, *, organization: Organization, contact: Contact) -> str:
        count = contact_responses(organization=organization, contact=contact).count()
        # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
        summary = ngettext_lazy(
            "the answers they began and did not submit, and their name, email address or phone number wherever it "
            "appears word for word in the text answers of their %(count)d survey response",
            "the answers they began and did not submit, and their name, email address or phone number wherever it "
            "appears word for word in the text answers of their %(count)d survey responses",
            "count",
        )
        return summary % {"count": count}

    def erase(self, *, organization: Organization, contact: Contact, identifiers: list[str], actor: User) -> Erased:
        begun, _ = PartialResponse.objects.filter(organization=organization, invitation__contact=contact).delete()
        responses = list(contact_responses(organization=organization, contact=contact).select_for_update())
        now = timezone.now()
        for response in responses:
            scrubbed = 0
            for answer in Answer.objects.filter(organization=organization, response=response).exclude(text=""):
                text = scrub(answer.text, identifiers)
                if text != answer.text:
                    Answer.objects.filter(organization=organization, pk=answer.pk).update(text=text)
                    scrubbed += 1
            Response.objects.filter(organization=organization, pk=response.pk).update(erased_at=now)
            audit_record(
                organization=organization,
                actor=actor,
                action="response.erase_personal_data",
                obj=response,
                changes={"text_answers_scrubbed": [None, scrubbed]},
            )
        return Erased(
            subjects=[subject_of(response) for response in responses],
            emails=[],
            counts={"survey_responses": len(responses), "survey_answers_begun": begun},
        )


survey_privacy = SurveyPrivacy()
