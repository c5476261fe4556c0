"""factory-boy factories for every model. Tenant-owned rows are created inside their organisation's context."""

from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from qms.accounts.models import ApiToken, Invitation, User
from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from qms.audit.services import audit_record
from qms.outbox.models import OutboxMessage
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership, Organization, Role
from qms.tenancy.public_links import token_hash
from qms.tenancy.references import next_reference

PASSWORD = "correct-horse-battery-staple"


class TenantFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with organization_context(kwargs["organization"]):
            return super()._create(model_class, *args, **kwargs)


def reference(prefix):
    """A factory field numbering like the services do (qms/tenancy/references.py), so the two never share a number."""

    def next_in_series(row):
        with organization_context(row.organization):
            return next_reference(organization=row.organization, prefix=prefix)

    return factory.LazyAttribute(next_in_series)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")

    @factory.post_generation
    def chain(obj, create, extracted, **kwargs):
        if create:
            with organization_context(obj):
                AuditChainHead.objects.create(organization=obj, seq=0, hash=GENESIS_HASH)


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.STAFF
    expires_at = factory.LazyAttribute(
        lambda o: timezone.now() + timedelta(days=30) if o.role == Role.AUDITOR else None
    )


class InvitationFactory(TenantFactory):
    class Meta:
        model = Invitation
        exclude = ["token"]

    organization = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = Role.STAFF
    token = factory.Sequence(lambda n: f"invitation-token-{n}")
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.token))
    invited_by = factory.SubFactory(UserFactory)
    valid_until = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ApiTokenFactory(TenantFactory):
    class Meta:
        model = ApiToken
        exclude = ["key"]

    membership = factory.SubFactory(MembershipFactory)
    organization = factory.SelfAttribute("membership.organization")
    name = "Integration"
    key = factory.Sequence(lambda n: f"cl_test-token-{n:08d}")
    prefix = factory.LazyAttribute(lambda o: o.key[:10])
    token_hash = factory.LazyAttribute(lambda o: token_hash(o.key))
    created_by = factory.SelfAttribute("membership.user")


class OutboxMessageFactory(TenantFactory):
    class Meta:
        model = OutboxMessage

    organization = factory.SubFactory(OrganizationFactory)
    purpose = "test"
    to_email = factory.Sequence(lambda n: f"recipient{n}@example.com")
    subject = factory.Sequence(lambda n: f"Message {n}")
    body_text = "Hello"
    message_id = factory.Sequence(lambda n: f"<msg-{n}@closeloop.test>")


class AuditEventFactory(factory.Factory):
    """Audit events are only ever appended through the service, so the factory calls it."""

    class Meta:
        model = AuditEvent

    organization = factory.SubFactory(OrganizationFactory)
    actor = None
    action = "thing.update"
    object_type = "tests.thing"
    object_id = factory.Sequence(str)
    object_repr = factory.Sequence(lambda n: f"Thing {n}")
    changes = factory.LazyFunction(lambda: {"status": ["open", "closed"]})

    @classmethod
    def _create(cls, model_class, organization, **kwargs):
        with organization_context(organization):
            return audit_record(organization=organization, **kwargs)


# --- customers and feedback ---------------------------------------------------------------------------------

from customers.models import Contact, Customer, ImportJob  # noqa: E402
from feedback.models import FeedbackItem, FeedbackTheme, MonitoringMethod, SavedView, Theme  # noqa: E402


class CustomerFactory(TenantFactory):
    class Meta:
        model = Customer

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    segment = "Industrial"
    region = "North"
    external_ref = factory.Sequence(lambda n: f"CRM-{n:05d}")


class ContactFactory(TenantFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    organization = factory.SelfAttribute("customer.organization")
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"contact{n}@customer.example")
    phone = "+44 20 7946 0000"


class ThemeFactory(TenantFactory):
    class Meta:
        model = Theme

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Theme {n}")


class FeedbackItemFactory(TenantFactory):
    class Meta:
        model = FeedbackItem

    organization = factory.SubFactory(OrganizationFactory)
    reference = reference("F")
    channel = FeedbackItem.Channel.EMAIL
    kind = FeedbackItem.Kind.SUGGESTION
    text = factory.Faker("paragraph")


class FeedbackThemeFactory(TenantFactory):
    class Meta:
        model = FeedbackTheme

    feedback = factory.SubFactory(FeedbackItemFactory)
    organization = factory.SelfAttribute("feedback.organization")
    theme = factory.SubFactory(ThemeFactory, organization=factory.SelfAttribute("..organization"))


class SavedViewFactory(TenantFactory):
    class Meta:
        model = SavedView

    organization = factory.SubFactory(OrganizationFactory)
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"View {n}")
    query = "status=new"


class MonitoringMethodFactory(TenantFactory):
    class Meta:
        model = MonitoringMethod

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Method {n}")
    kind = MonitoringMethod.Kind.SURVEY


class ImportJobFactory(TenantFactory):
    class Meta:
        model = ImportJob

    organization = factory.SubFactory(OrganizationFactory)
    file = factory.django.FileField(filename="customers.csv", data=b"name,email\n")
    original_name = "customers.csv"
    created_by = factory.SubFactory(UserFactory)


# --- surveys -------------------------------------------------------------------------------------------------

from tests.factories.surveys import (  # noqa: E402,F401 - every factory from tests.factories
    AnonymousSubmissionFactory,
    QuestionFactory,
    ResponseFactory,
    SurveyFactory,
    SurveySendFactory,
    SurveyVersionFactory,
)
