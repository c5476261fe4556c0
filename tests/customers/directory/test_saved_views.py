"""The directory's saved views: a person saves the list's filters under a name, finds and deletes them; a view's
contacts are read when asked (campaigns' audience), and the views a campaign form offers."""

from customers.models import DirectorySavedView
from customers.selectors.saved_views import saved_view_by_id, saved_view_choices, saved_view_contacts
from customers.services.mail_events import MailEvent, mail_events_apply
from qms.audit.models import AuditEvent
from tests.factories import ContactFactory, CustomerFactory

from .conftest import url


def _save(client, tenant, name="Northern key accounts", query="region=North&segment=Key&page=3&sort=name"):
    return client.post(url("directory_view_create", tenant), {"name": name, "query": query})


def test_a_person_saves_the_filters_and_finds_the_view_on_the_list(alpha, login):
    client = login(alpha.staff)
    response = _save(client, alpha)
    assert response.status_code == 302 and response["Location"].endswith("?region=North&segment=Key")
    with alpha.context():
        [view] = DirectorySavedView.objects.filter(organization=alpha.organization)
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="directory_view.create")
    assert (view.owner, view.query) == (alpha.staff, "region=North&segment=Key")  # page and sort are no filters
    assert event.changes["name"] == [None, "Northern key accounts"]
    page = client.get(response["Location"])
    assert [v["name"] for v in page.context["saved_views"] if v["active"]] == ["Northern key accounts"]
    assert "Northern key accounts" not in login(alpha.manager).get(url("customer_list", alpha)).content.decode()


def test_a_name_is_unique_for_its_person_in_any_case(alpha, login):
    client = login(alpha.staff)
    _save(client, alpha, name="Mine")
    response = _save(client, alpha, name="mine", query="kind=person")
    assert "You already have a view called “mine”." in client.get(response["Location"]).content.decode()
    assert _save(login(alpha.manager), alpha, name="Mine").status_code == 302  # another person's name is theirs


def test_a_person_deletes_only_their_own_view(alpha, bravo, login):
    _save(login(alpha.staff), alpha)
    with alpha.context():
        view = DirectorySavedView.objects.get(organization=alpha.organization)
    delete = url("directory_view_delete", alpha, view_id=view.pk)
    assert login(alpha.manager).post(delete).status_code == 404
    assert login(bravo.owner).post(delete.replace("/alpha/", "/bravo/")).status_code == 404
    assert login(alpha.staff).post(delete).status_code == 302
    with alpha.context():
        assert not DirectorySavedView.objects.filter(organization=alpha.organization).exists()
        assert AuditEvent.objects.filter(organization=alpha.organization, action="directory_view.delete").exists()


def test_a_views_contacts_include_a_customer_added_after_it_was_saved(alpha, bravo, login):
    _save(login(alpha.manager), alpha, name="North", query="region=North")
    with alpha.context():
        view = DirectorySavedView.objects.get(organization=alpha.organization)
        early = ContactFactory(customer=CustomerFactory(organization=alpha.organization, region="North"))
        ContactFactory(customer=CustomerFactory(organization=alpha.organization, region="South"))
        contacts = saved_view_contacts(view)
        assert list(contacts) == [early]
        late = ContactFactory(customer=CustomerFactory(organization=alpha.organization, region="north"))
        assert set(saved_view_contacts(view)) == {early, late}
        assert set(contacts.all()) == {early, late}  # a queryset: evaluated again when read again
    with bravo.context():
        ContactFactory(customer=CustomerFactory(organization=bravo.organization, region="North"))
    with alpha.context():
        assert set(saved_view_contacts(view)) == {early, late}


def test_an_undeliverable_view_holds_only_the_undeliverable_contacts(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
        bounced, fine = ContactFactory(customer=customer), ContactFactory(customer=customer)
        mail_events_apply(
            organization=alpha.organization, events=[MailEvent("complaint", bounced.email)], source="test"
        )
        view = DirectorySavedView.objects.create(
            organization=alpha.organization, owner=alpha.manager, name="Bounced", query="undeliverable=yes"
        )
        assert list(saved_view_contacts(view)) == [bounced] and fine not in saved_view_contacts(view)


def test_a_campaign_form_is_offered_every_view_of_the_organisation_its_persons_first(alpha, bravo):
    with alpha.context():
        theirs = DirectorySavedView.objects.create(
            organization=alpha.organization, owner=alpha.manager, name="Accounts", query="segment=Key"
        )
        mine = DirectorySavedView.objects.create(
            organization=alpha.organization, owner=alpha.staff, name="Zebra", query="region=North"
        )
        choices = saved_view_choices(organization=alpha.organization, user=alpha.staff)
        assert choices == [(str(mine.pk), "Zebra"), (str(theirs.pk), "Accounts (Alpha Instruments Manager)")]
        assert saved_view_by_id(organization=alpha.organization, view_id=str(theirs.pk)) == theirs
        assert saved_view_by_id(organization=alpha.organization, view_id="nope") is None
    with bravo.context():
        assert saved_view_choices(organization=bravo.organization) == []
        assert saved_view_by_id(organization=bravo.organization, view_id=str(theirs.pk)) is None
