"""Helpers of the survey design tests: a survey made through the service, its versions and questions read back."""

from django.core.exceptions import ValidationError

from surveys.models import Question, Survey, SurveyVersion
from surveys.services.design import survey_create


def make_survey(tenant, **kwargs) -> Survey:
    """A survey of the tenant's, made by its manager inside its context. A refusal is raised once the context is
    left (its block is no savepoint: an error inside it would break the test's transaction)."""
    kwargs.setdefault("name", "Customer satisfaction")
    with tenant.context():
        try:
            return survey_create(organization=tenant.organization, actor=tenant.manager, **kwargs)
        except ValidationError as exc:
            refused = exc
    raise refused


def versions_of(tenant, survey):
    with tenant.context():
        return list(SurveyVersion.objects.filter(organization=tenant.organization, survey=survey).order_by("number"))


def questions_of(tenant, version):
    with tenant.context():
        return list(Question.objects.filter(organization=tenant.organization, version=version).order_by("position"))
