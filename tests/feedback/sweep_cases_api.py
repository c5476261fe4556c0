"""Sweep cases for the monitoring-methods register and the feedback API.

The public form (/p/<org_slug>/…) is not an organisation route of the sweep: it is open to anyone by design,
and tests/feedback/public covers it.
"""

from django.utils import timezone

from feedback.models import FeedbackItem, MethodReview, MonitoringMethod
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory, MonitoringMethodFactory
from tests.sweep.core import GET_POST, POST, Case

READ_AND_PATCH = ("GET", "PATCH")
TODAY = timezone.localdate().isoformat()


def populate(tenant, marker):
    organization = tenant.organization
    customer = CustomerFactory(organization=organization, name=f"{marker} feedback api customer")
    contact = ContactFactory(customer=customer, name=f"{marker} feedback api contact", email=f"{marker}-fb@example.com")
    item = FeedbackItemFactory(  # assigned to the staff member, who may then change it (the role sweep)
        organization=organization, contact=contact, customer=customer, text=f"{marker} api feedback",
        assignee=tenant.staff,
    )  # fmt: skip
    method = MonitoringMethodFactory(organization=organization, name=f"{marker} method", owner=tenant.manager)
    return {"papi_feedback": item, "papi_method": method}


def snapshot(tenant):
    organization = tenant.organization
    return {
        "methods": list(
            MonitoringMethod.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "name", "kind", "owner", "review_frequency", "last_reviewed_on", "retired_at")
        ),
        "method_reviews": list(
            MethodReview.objects.filter(organization=organization).order_by("pk").values_list("pk", "method", "outcome")
        ),
        "feedback": list(
            FeedbackItem.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "kind", "text", "product", "sentiment", "submitter_name", "submitter_email")
        ),
    }


def _method(w):
    return {"method_id": w.extra["papi_method"].pk}


def _method_form(name):
    return lambda w: {
        "name": name,
        "kind": MonitoringMethod.Kind.MEETING,
        "description": "",
        "owner": w.tenant.manager.pk,
        "review_frequency": MonitoringMethod.Frequency.YEARLY,
        "last_reviewed_on": "",
    }


CASES = {
    "feedback:method_list": Case(shows=("{marker} method",)),
    "feedback:method_export": Case(shows=("{marker} method",)),
    "feedback:method_create": Case(methods=GET_POST, form=_method_form("Added by the sweep")),
    "feedback:method_edit": Case(methods=GET_POST, target=_method, form=_method_form("Edited by the sweep")),
    "feedback:method_detail": Case(target=_method, shows=("{marker} method",)),
    "feedback:method_review": Case(
        methods=GET_POST, target=_method, form=lambda w: {"outcome": "improve", "notes": "Sweep", "reviewed_on": TODAY}
    ),
    "feedback:method_retire": Case(methods=POST, target=_method),
    "feedback_api:api_feedback_list": Case(
        form=lambda w: {"kind": FeedbackItem.Kind.QUESTION, "text": "Sent by the sweep"},
        shows=("{marker} api feedback",),
    ),
    "feedback_api:api_feedback": Case(
        methods=READ_AND_PATCH,
        target=lambda w: {"pk": w.extra["papi_feedback"].pk},
        form=lambda w: {"text": "Edited by the sweep"},
    ),
}
