"""The customers app's routes in the isolation sweep: the directory, its CSV export, imports, privacy and the API."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from customers.models import Contact, Customer, DirectorySavedView, ImportJob, MailEventsEndpoint
from customers.services.mail_events import mail_events_mailgun_key_set, mail_events_secret_rotate
from tests.factories import ContactFactory, CustomerFactory, ImportJobFactory
from tests.sweep.core import GET, GET_POST, POST, Case

READ_AND_PATCH = ("GET", "PATCH")

IMPORT_CSV = b"customer_name,external_ref,contact_name,contact_email\nSweep Ltd,SWEEP-1,Sam Sweep,sam@sweep.example\n"


def populate(tenant, marker) -> dict:
    organization = tenant.organization
    customer = CustomerFactory(
        organization=organization,
        name=f"{marker} directory customer",
        account_owner=tenant.manager,
        external_ref=f"{marker}-ref",
    )
    contact = ContactFactory(
        customer=customer, name=f"{marker} directory contact", email=f"{marker}-dir@{tenant.slug}.test"
    )
    refused = f"customer_name,Problem,Row in the uploaded file\n{marker} refused Ltd,contact_email: {marker} error,3\n"
    preview = ImportJobFactory(
        summary={"rejected_rows": default_storage.save(f"imports/{marker}.rejected.csv", ContentFile(refused))},
        organization=organization,
        file__data=IMPORT_CSV,
        original_name=f"{marker}.csv",
        created_by=tenant.manager,
        status=ImportJob.Status.PREVIEW,
        total_rows=1,
        processed_rows=1,
        valid_rows=1,
        errors=[{"row": 3, "column": "contact_email", "message": f"{marker} error"}],
    )

    waiting = ImportJobFactory(
        organization=organization,
        file__data=IMPORT_CSV,
        original_name=f"{marker}-waiting.csv",
        created_by=tenant.manager,
        summary={"queued_at": timezone.now().isoformat()},
    )
    api_customer = CustomerFactory(organization=organization, name=f"{marker} api customer")
    api_contact = ContactFactory(
        customer=api_customer, name=f"{marker} api contact", email=f"{marker}-contact@example.com"
    )
    bounced = ContactFactory(
        customer=CustomerFactory(organization=organization, name=f"{marker} bounced customer"),
        name=f"{marker} bounced contact",
        email=f"{marker}-bounced@{tenant.slug}.test",
        undeliverable_at=timezone.now(),
        undeliverable_reason=f"{marker} hard bounce",
    )
    with tenant.context():
        view = DirectorySavedView.objects.create(
            organization=organization, owner=tenant.owner, name=f"{marker} directory view", query="segment=Sweep"
        )
        mail_events_secret_rotate(organization=organization, actor=tenant.owner)
        mail_events_mailgun_key_set(organization=organization, actor=tenant.owner, key=f"{marker}-mailgun-key")
    return {
        "dir_bounced": bounced,
        "dir_view": view,
        "papi_customer": api_customer,
        "papi_contact": api_contact,
        "dir_customer": customer,
        "dir_contact": contact,
        "dir_import_preview": preview,
        "dir_import_waiting": waiting,
    }


def snapshot(tenant) -> dict:
    organization = tenant.organization
    with tenant.context():
        return {
            "customers": list(
                Customer.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "name", "kind", "segment", "region", "external_ref", "account_owner", "archived_at")
            ),
            "contacts": list(
                Contact.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "customer", "name", "email", "phone", "preferred_language", "consent", "erased_at")
            ),
            "directory_views": list(
                DirectorySavedView.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "owner", "name", "query")
            ),
            "mail_events": list(
                MailEventsEndpoint.objects.filter(organization=organization).values_list(
                    "secret_sealed", "mailgun_key_sealed"
                )
            ),
            "deliverability": list(
                Contact.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "undeliverable_at", "soft_bounces")
            ),
            "import_jobs": list(
                ImportJob.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "status", "mode", "processed_rows", "summary")
            ),
        }


def _upload(world) -> dict:
    return {"file": SimpleUploadedFile("sweep.csv", IMPORT_CSV, content_type="text/csv")}


def _customer(w):
    return {"customer_id": w.extra["dir_customer"].pk}


def _contact(w):
    return {"contact_id": w.extra["papi_contact"].pk}


def _preview(w):
    return {"job_id": w.extra["dir_import_preview"].pk}


CASES = {
    "customers:customer_list": Case(
        shows=("{marker} directory customer", "{marker} directory contact", "{marker}-dir@{slug}.test")
    ),
    "customers:customer_export": Case(
        shows=("{marker} directory customer", "{marker}-dir@{slug}.test", "manager@{slug}.test")
    ),
    "customers:customer_create": Case(methods=GET_POST, form=lambda w: {"name": "Sweep customer", "kind": "person"}),
    "customers:customer_detail": Case(target=_customer),
    "customers:customer_edit": Case(
        methods=GET_POST, target=_customer, form=lambda w: {"name": "Renamed by the sweep", "kind": "person"}
    ),
    "customers:contact_create": Case(
        methods=GET_POST,
        target=_customer,
        form=lambda w: {"name": "Sweep contact", "email": "sweep@example.com", "consent": "granted"},
    ),
    "customers:contact_edit": Case(
        methods=GET_POST,
        target=lambda w: {"contact_id": w.extra["dir_contact"].pk},
        form=lambda w: {"name": "Renamed contact", "email": "renamed@example.com", "consent": "opted_out"},
    ),
    "customers:contact_detail": Case(
        target=lambda w: {"contact_id": w.extra["dir_contact"].pk}, shows=("{marker} directory contact",)
    ),
    "customers:contact_deliverable": Case(methods=POST, target=lambda w: {"contact_id": w.extra["dir_bounced"].pk}),
    "customers:directory_view_create": Case(
        methods=POST, form=lambda w: {"name": "Sweep view", "query": "segment=Sweep&undeliverable=yes"}
    ),
    "customers:directory_view_delete": Case(
        methods=POST, target=lambda w: {"view_id": w.extra["dir_view"].pk}, owned_by="owner"
    ),
    "customers:mail_events_settings": Case(),
    "customers:mail_events_rotate": Case(methods=POST),
    "customers:mail_events_mailgun": Case(methods=POST, form=lambda w: {"key": "sweep-mailgun-key"}),
    "customers:import_start": Case(methods=GET_POST, form=_upload, shows=("{marker}.csv", "{marker}-waiting.csv")),
    "customers:import_template": Case(shows=("customer_name",)),
    "customers:import_detail": Case(target=_preview),
    "customers:import_progress": Case(target=_preview),
    "customers:import_confirm": Case(methods=POST, target=_preview, form=lambda w: {"mode": "valid_only"}),
    "customers:import_cancel": Case(methods=POST, target=_preview),
    "customers:import_requeue": Case(methods=POST, target=lambda w: {"job_id": w.extra["dir_import_waiting"].pk}),
    "customers:import_rejected": Case(target=_preview, shows=("{marker} refused Ltd",)),
    "customers:contact_export": Case(methods=GET, target=_contact),
    "customers:contact_erase": Case(methods=GET_POST, target=_contact),
    # API: a POST answers 201, not the 302 the owner's write probe expects, so create is probed through the
    # auditor and other-organisation cases (with a valid body) and tested in tests/customers/api.
    "customers_api:api_customers": Case(form=lambda w: {"name": "Sweep customer"}, shows=("{marker} api customer",)),
    "customers_api:api_customer": Case(
        methods=READ_AND_PATCH,
        target=lambda w: {"pk": w.extra["papi_customer"].pk},
        form=lambda w: {"name": "Renamed by the sweep"},
    ),
    "customers_api:api_contacts": Case(
        form=lambda w: {"customer": w.extra["papi_customer"].pk, "name": "Sweep contact"},
        shows=("{marker} api contact", "{marker}-contact@example.com"),
    ),
    "customers_api:api_contact": Case(
        methods=READ_AND_PATCH,
        target=lambda w: {"pk": w.extra["papi_contact"].pk},
        form=lambda w: {"name": "Renamed by the sweep"},
    ),
}
