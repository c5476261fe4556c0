"""The survey benchmarks' audience: n contacts of one customer of the segment SEGMENT, written in bulk."""

from customers.models import Contact, Customer

SEGMENT = "Bench panel"


def panel(tenant, n: int) -> None:
    organization = tenant.organization
    with tenant.context():
        customer = Customer.objects.create(organization=organization, name="Bench panel Ltd", segment=SEGMENT)
        Contact.objects.bulk_create(
            (
                Contact(organization=organization, customer=customer, name=f"Person {i}", email=f"p{i}@panel.example")
                for i in range(n)
            ),
            batch_size=2000,
        )
