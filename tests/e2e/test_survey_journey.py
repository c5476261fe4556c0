"""A customer's survey in Debian's chromium, from the link in their email: they answer with the keyboard and
JavaScript on, or with JavaScript off; they close the tab after the first page and come back to where they
stopped; they unsubscribe with the one button. The manager then reads the answers on the survey's responses.
Every page the customer can meet on the way (a question, an error, the second page, the thanks, a used or expired
link, the unsubscribe pages, the German one) has no WCAG 2.1 AA violation (axe)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from customers.models import Contact, Customer
from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from surveys.tasks import open_follow_ups_task
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import GERMAN, add_rule, build_survey

from .accessibility import violations
from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

NPS = "How likely are you to recommend us?"
WHY = "What is the main reason for your score?"
FIX = "What should we improve?"
MORE = "Anything else?"
FOCUSED_SCORE_OUTLINE = """() => {
  const label = document.querySelector(`label[for="${document.activeElement.id}"]`);
  return getComputedStyle(label).outlineStyle;
}"""


def _invite(alpha, survey) -> tuple[Invitation, str]:
    """Send `survey` to one new contact of alpha's; the invitation and its link's token (from the email's row)."""
    customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc", segment="Industrial")
    contact = ContactFactory(customer=customer, name="Grace Hopper")
    with alpha.context():
        send = survey_send(
            survey=survey, actor=alpha.manager,
            contacts=contacts_for(organization=alpha.organization, contact_ids=[contact.pk]),
        )  # fmt: skip
        invitation = Invitation.objects.select_related("message", "contact").get(send=send)
    return invitation, invitation.message.context["token"]


def _link(base: str, token: str, name: str = "links:survey_response") -> str:
    return base + reverse(name, kwargs={"token": token})


@pytest.fixture
def customer(browser):
    """A new tab of the customer's own browser, JavaScript on."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


@pytest.fixture
def without_javascript(browser):
    """A tab of a browser with JavaScript switched off."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    yield context.new_page()
    context.close()


def _score(page):
    return page.get_by_role("radiogroup", name=NPS)


def _checked_score(page) -> list[str]:
    radios = _score(page).get_by_role("radio")
    return [radios.nth(n).get_attribute("value") for n in range(radios.count()) if radios.nth(n).is_checked()]


def _answer_the_first_page_by_clicks(page) -> None:
    _score(page).get_by_text("4", exact=True).click()
    page.get_by_label(WHY).fill("The delivery was late.")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Page 2 of 2").wait_for()


def _answer_the_second_page_and_submit(page) -> None:
    expect(page.get_by_role("group", name=re.compile(FIX))).to_be_visible()  # asked: the score was at most 6
    page.get_by_label("Support").check()
    page.get_by_label(MORE).fill("Call before you come.")
    page.get_by_role("button", name="Submit").click()
    page.get_by_role("heading", name="Thank you").wait_for()


def _recorded(alpha, invitation) -> dict:
    with alpha.context():
        response = Response.objects.get(invitation=invitation)
        return {a.question.code: (a.number, a.text, a.choices) for a in response.answers.all()}


ANSWERED = {
    "nps": (4, "", []),
    "why": (None, "The delivery was late.", []),
    "fix": (None, "", ["support"]),
    "more": (None, "Call before you come.", []),
}


def test_a_customer_answers_with_the_keyboard_and_the_manager_reads_the_answers(live_server, customer, page, alpha):
    survey = build_survey(alpha.organization)
    invitation, token = _invite(alpha, survey)
    customer.goto(_link(live_server.url, token))
    expect(customer.get_by_role("group", name=re.compile(NPS))).to_be_visible()

    customer.keyboard.press("Tab")  # the first stop of the page is the score's group, on its first score
    assert customer.evaluate("[document.activeElement.name, document.activeElement.value]") == ["q_nps", "0"]
    assert customer.evaluate(FOCUSED_SCORE_OUTLINE) == "solid"  # the keyboard's place is seen
    customer.keyboard.press("Space")
    for _ in range(4):
        customer.keyboard.press("ArrowRight")
    assert _checked_score(customer) == ["4"]
    customer.keyboard.press("Tab")
    customer.keyboard.type("The delivery was late.")
    customer.keyboard.press("Tab")
    assert customer.evaluate("document.activeElement.textContent.trim()") == "Next"
    customer.keyboard.press("Enter")
    customer.get_by_text("Page 2 of 2").wait_for()
    _answer_the_second_page_and_submit(customer)
    expect(customer.get_by_text("Recorded.")).to_be_visible()
    assert _recorded(alpha, invitation) == ANSWERED

    sign_in(page, live_server.url, alpha.manager.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/surveys/{survey.pk}/responses/")
    row = page.get_by_role("table", name="Responses, latest first").get_by_role("row", name=re.compile("Grace"))
    assert re.search(r"Grace Hopper\s*· Hydro Pumps plc", row.inner_text())
    assert row.get_by_role("cell").nth(4).inner_text() == "4"  # the first answer: the score
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/responses/\d+/$"))
    answers = page.locator("dl").first
    assert [t.strip() for t in answers.locator("dt").all_inner_texts()] == [NPS, WHY, FIX, MORE]
    assert [d.strip() for d in answers.locator("dd").all_inner_texts()] == [
        "4 / 10", "The delivery was late.", "Support", "Call before you come."
    ]  # fmt: skip
    details = page.locator("dl").nth(1)
    who = dict(zip(details.locator("dt").all_inner_texts(), details.locator("dd").all_inner_texts(), strict=True))
    assert (who["From"], who["Segment"], who["Kind"]) == ("Grace Hopper", "Industrial", "Organisation")


def test_a_customer_answers_with_javascript_off_and_the_manager_reads_the_answers(
    live_server, without_javascript, page, alpha
):
    survey = build_survey(alpha.organization)
    invitation, token = _invite(alpha, survey)
    customer = without_javascript
    customer.goto(_link(live_server.url, token))
    _answer_the_first_page_by_clicks(customer)
    _answer_the_second_page_and_submit(customer)
    assert _recorded(alpha, invitation) == ANSWERED

    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/surveys/{survey.pk}/responses/")
    page.get_by_role("row", name=re.compile("Grace Hopper")).get_by_role("link").click()
    expect(page.get_by_text("The delivery was late.")).to_be_visible()
    expect(page.get_by_text("Call before you come.")).to_be_visible()


def test_a_required_score_left_blank_is_announced_first_and_leads_back_to_the_question(live_server, customer, alpha):
    _invitation, token = _invite(alpha, build_survey(alpha.organization))
    customer.goto(_link(live_server.url, token))
    customer.get_by_label(WHY).fill("Kept while I choose.")
    customer.get_by_role("button", name="Next").click()

    summary = customer.get_by_role("alert")
    expect(summary).to_be_focused()  # read out before anything else on the page
    expect(customer).to_have_title(re.compile(r"^! "))
    expect(customer.get_by_role("group", name=re.compile(NPS))).to_have_accessible_description(
        "Please answer this question."
    )
    assert customer.get_by_label(WHY).input_value() == "Kept while I choose."
    summary.get_by_role("link", name=NPS).click()
    expect(customer).to_have_url(re.compile(r"#question-nps$"))
    customer.keyboard.press("Tab")  # from the question the link led to, the next stop is its first score
    assert customer.evaluate("[document.activeElement.name, document.activeElement.value]") == ["q_nps", "0"]


def test_a_customer_who_closes_the_tab_after_the_first_page_comes_back_to_the_second(live_server, browser, alpha):
    survey = build_survey(alpha.organization)
    invitation, token = _invite(alpha, survey)
    first = browser.new_context()
    tab = first.new_page()
    tab.goto(_link(live_server.url, token))
    _answer_the_first_page_by_clicks(tab)
    first.close()

    later = browser.new_context()  # another day: no cookie, no history, only the link
    try:
        tab = later.new_page()
        tab.goto(_link(live_server.url, token))
        expect(tab.get_by_text("Page 2 of 2")).to_be_visible()
        expect(tab.get_by_text("Your answers so far are saved.")).to_be_visible()
        tab.get_by_role("button", name="Back").click()
        tab.get_by_text("Page 1 of 2").wait_for()
        assert _checked_score(tab) == ["4"] and tab.get_by_label(WHY).input_value() == "The delivery was late."
        tab.get_by_role("button", name="Next").click()
        tab.get_by_text("Page 2 of 2").wait_for()
        _answer_the_second_page_and_submit(tab)
    finally:
        later.close()
    assert _recorded(alpha, invitation) == ANSWERED


def test_a_customer_unsubscribes_with_the_one_button_and_is_opted_out(live_server, customer, alpha):
    invitation, token = _invite(alpha, build_survey(alpha.organization))
    customer.goto(_link(live_server.url, token, "links:survey_unsubscribe"))
    expect(customer.get_by_role("heading", name="Unsubscribe from survey emails")).to_be_visible()
    expect(customer.get_by_text("Stop receiving survey invitations from Alpha Instruments?")).to_be_visible()
    with alpha.context():
        assert Contact.objects.get(pk=invitation.contact_id).consent != Contact.Consent.OPTED_OUT  # asked only

    customer.get_by_role("button", name="Yes, unsubscribe me").click()
    customer.get_by_text("You have been unsubscribed").wait_for()
    with alpha.context():
        contact = Contact.objects.get(pk=invitation.contact_id)
    assert (contact.consent, contact.consent_source) == (Contact.Consent.OPTED_OUT, "unsubscribe_page")


def test_every_page_a_customer_meets_has_no_wcag_violations(live_server, customer, alpha):
    base, found = live_server.url, {}

    def check(what: str) -> None:
        if report := violations(customer):
            found[what] = report

    _invitation, token = _invite(alpha, build_survey(alpha.organization))
    customer.goto(_link(base, token))
    check("the first page")
    customer.get_by_role("button", name="Next").click()  # the required score left blank
    customer.get_by_role("alert").wait_for()
    check("the first page with an error")
    _answer_the_first_page_by_clicks(customer)
    check("the second page")
    _answer_the_second_page_and_submit(customer)
    check("the thank-you page")
    customer.goto(_link(base, token))
    customer.get_by_role("heading", name="You have already answered").wait_for()
    check("the already-answered page")

    expired, token = _invite(alpha, build_survey(alpha.organization))
    with alpha.context():
        Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert customer.goto(_link(base, token)).status == 410
    customer.get_by_role("heading", name="This link has expired").wait_for()
    check("the expired link")

    customer.goto(_link(base, token, "links:survey_unsubscribe"))
    check("the unsubscribe question")
    customer.get_by_role("button", name="Yes, unsubscribe me").click()
    customer.get_by_text("You have been unsubscribed").wait_for()
    check("the unsubscribed page")

    _invitation, token = _invite(alpha, build_survey(alpha.organization, translations={"de": GERMAN}))
    customer.goto(_link(base, token) + "?lang=de")
    assert customer.evaluate("document.documentElement.lang") == "de"
    customer.get_by_role("group", name=re.compile("Wie wahrscheinlich empfehlen Sie uns weiter?")).wait_for()
    check("the first page in German")
    assert not found, "\n\n".join(f"== {what}\n{report}" for what, report in found.items())


def test_a_detractors_answer_reaches_the_account_owner_who_closes_it_and_the_response_says_so(
    live_server, customer, page, alpha
):
    survey = build_survey(alpha.organization)
    add_rule(alpha, survey)  # NPS at most 6: a follow-up for the customer's account owner
    invitation, token = _invite(alpha, survey)
    with alpha.context():
        Customer.objects.filter(contacts__pk=invitation.contact_id).update(account_owner=alpha.staff)
    customer.goto(_link(live_server.url, token))
    _answer_the_first_page_by_clicks(customer)  # a 4
    _answer_the_second_page_and_submit(customer)
    open_follow_ups_task.run()  # what beat hands the worker every few seconds

    sign_in(page, live_server.url, alpha.staff.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/feedback/?assignee=me")  # in their inbox, assigned to them
    mine = page.get_by_role("row", name=re.compile("Grace Hopper answered the survey"))
    expect(mine).to_contain_text("Concern")
    page.goto(f"{live_server.url}/o/alpha/notifications/")  # and among their notifications
    page.get_by_role("link", name=re.compile(r"\(Concern\) was assigned to you")).click()
    page.wait_for_url(re.compile(r"/feedback/\d+/$"))
    told = page.locator(".feedback-text")
    expect(told).to_contain_text("Grace Hopper answered the survey")
    expect(told).to_contain_text("The delivery was late.")
    page.get_by_label("Closing note").fill("Called Grace; the next delivery is booked with a call ahead.")
    page.get_by_role("button", name=re.compile(r"^Close F-")).click()
    expect(page.get_by_role("heading", name="This item is closed")).to_be_visible()

    page.get_by_role("link", name=re.compile("Survey response")).click()  # the item links to the response
    page.wait_for_url(re.compile(r"/responses/\d+/$"))
    follow_up = page.locator(".card", has=page.get_by_role("heading", name="Follow-up"))
    expect(follow_up.get_by_text("Closed", exact=True)).to_be_visible()
    expect(follow_up).to_contain_text("Given to Alpha Instruments Staff")
