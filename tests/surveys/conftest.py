import pytest

from tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def contacts(alpha):
    """contacts(n, **fields): n contacts of one new customer of alpha's (segment "Key accounts")."""

    def make(n=3, **fields):
        customer = CustomerFactory(organization=alpha.organization, segment="Key accounts")
        return [ContactFactory(customer=customer, **fields) for _ in range(n)]

    return make
