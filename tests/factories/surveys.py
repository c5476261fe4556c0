"""factory-boy factories for the surveys module's rows (surveys/models.py)."""

from datetime import timedelta

import factory
from django.utils import timezone

from surveys.models import AnonymousSubmission, Question, Response, Survey, SurveySend, SurveyVersion
from surveys.texts import SURVEY_TEXTS

from . import OrganizationFactory, TenantFactory, UserFactory, reference


class SurveyFactory(TenantFactory):
    class Meta:
        model = Survey

    organization = factory.SubFactory(OrganizationFactory)
    reference = reference("S")
    name = factory.Sequence(lambda n: f"Survey {n}")
    default_language = "en-gb"
    created_by = factory.SubFactory(UserFactory)


class SurveyVersionFactory(TenantFactory):
    class Meta:
        model = SurveyVersion

    survey = factory.SubFactory(SurveyFactory)
    organization = factory.SelfAttribute("survey.organization")
    number = 1
    texts = factory.LazyFunction(lambda: {key: str(text) for key, text in SURVEY_TEXTS.items() if str(text)})


class QuestionFactory(TenantFactory):
    class Meta:
        model = Question

    version = factory.SubFactory(SurveyVersionFactory)
    organization = factory.SelfAttribute("version.organization")
    position = factory.Sequence(lambda n: n + 1)
    code = factory.Sequence(lambda n: f"question-{n}")
    kind = Question.Kind.NPS
    text = factory.Sequence(lambda n: f"Question {n}?")


class SurveySendFactory(TenantFactory):
    class Meta:
        model = SurveySend

    version = factory.SubFactory(SurveyVersionFactory)
    survey = factory.SelfAttribute("version.survey")
    organization = factory.SelfAttribute("version.organization")
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class ResponseFactory(TenantFactory):
    class Meta:
        model = Response

    version = factory.SubFactory(SurveyVersionFactory)
    survey = factory.SelfAttribute("version.survey")
    organization = factory.SelfAttribute("version.organization")
    source = Response.Source.PUBLIC_LINK
    language = "en-gb"
    submitted_on = factory.LazyFunction(timezone.localdate)
    digest = factory.Sequence(lambda n: f"{n:064x}")


class AnonymousSubmissionFactory(TenantFactory):
    class Meta:
        model = AnonymousSubmission

    version = factory.SubFactory(SurveyVersionFactory)
    survey = factory.SelfAttribute("version.survey")
    organization = factory.SelfAttribute("version.organization")
    source = Response.Source.PUBLIC_LINK
    language = "en-gb"
    submitted_on = factory.LazyFunction(timezone.localdate)
    answers = factory.LazyFunction(dict)
