"""Amazon SES through SNS: SNS's signature (versions 1 and 2) by a certificate from Amazon's host that chains to the
trust store, the subscription's confirmation, and SES's bounce and complaint notifications."""

import json

from customers.models import MailEventsEndpoint
from qms.audit.models import AuditEvent

from .conftest import (
    CERT_URL,
    TOPIC,
    contact_of,
    fresh,
    make_authority,
    make_secret,
    post_sns,
    ses_bounce,
    sns_notification,
)


def test_a_permanent_bounce_signed_with_either_version_marks_the_address(alpha, client, authority, amazon):
    secret, ann = make_secret(alpha), contact_of(alpha)
    other = contact_of(alpha, email="bo@acme.example")
    response = post_sns(client, alpha, secret, sns_notification(authority, ses_bounce(ann.email), version="1"))
    assert response.json() == {"source": "ses", "received": 1, "undeliverable": 1}, response.content
    response = post_sns(client, alpha, secret, sns_notification(authority, ses_bounce(other.email), version="2"))
    assert response.json()["undeliverable"] == 1
    assert fresh(alpha, ann).undeliverable_reason == "Hard bounce: smtp; 550 5.1.1 user unknown"
    assert amazon == [CERT_URL]  # the certificate was fetched once, then kept


def test_a_transient_bounce_counts_and_a_complaint_marks(alpha, client, authority, amazon):
    secret, ann = make_secret(alpha), contact_of(alpha)
    post_sns(client, alpha, secret, sns_notification(authority, ses_bounce(ann.email, "Transient")))
    assert fresh(alpha, ann).soft_bounces == 1 and fresh(alpha, ann).undeliverable_at is None
    complaint = {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": ann.email}], "complaintFeedbackType": "abuse"},
        "mail": {},
    }
    assert post_sns(client, alpha, secret, sns_notification(authority, complaint)).json()["undeliverable"] == 1
    assert fresh(alpha, ann).undeliverable_reason == "Marked as spam: abuse"


def test_a_tampered_message_or_a_wrong_secret_is_refused(alpha, client, authority, amazon):
    secret, ann = make_secret(alpha), contact_of(alpha)
    message = sns_notification(authority, ses_bounce(ann.email))
    tampered = {**message, "Message": json.dumps(ses_bounce("someone@else.example"))}
    assert post_sns(client, alpha, secret, tampered).status_code == 403
    assert post_sns(client, alpha, "whsec_wrong", message).status_code == 403
    assert fresh(alpha, ann).undeliverable_at is None


def test_a_certificate_off_amazons_host_is_never_fetched(alpha, client, authority, amazon):
    secret, ann = make_secret(alpha), contact_of(alpha)
    for url in (
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
    ):
        message = sns_notification(authority, ses_bounce(ann.email), SigningCertURL=url)
        response = post_sns(client, alpha, secret, message)
        assert response.status_code == 403 and "Amazon SNS URL" in response.json()["error"]
    assert amazon == []


def test_a_certificate_that_does_not_chain_to_the_trust_store_is_refused(alpha, client, authority, amazon, tmp_path):
    secret, ann = make_secret(alpha), contact_of(alpha)
    stranger = make_authority(tmp_path, name="stranger-ca.pem")  # not in the trust store
    authority.cert_pem = stranger.cert_pem  # what the fetch answers now
    response = post_sns(client, alpha, secret, sns_notification(stranger, ses_bounce(ann.email)))
    assert response.status_code == 403 and "trust store" in response.json()["error"]
    assert fresh(alpha, ann).undeliverable_at is None


def test_a_certificate_for_another_name_is_refused(alpha, client, authority, amazon, tmp_path, settings):
    secret, ann = make_secret(alpha), contact_of(alpha)
    settings.MAIL_EVENTS_SNS_CERT_NAME = "sns.example.org"
    response = post_sns(client, alpha, secret, sns_notification(authority, ses_bounce(ann.email)))
    assert response.status_code == 403 and fresh(alpha, ann).undeliverable_at is None


def test_an_old_sns_message_is_a_replay(alpha, client, authority, amazon):
    secret, ann = make_secret(alpha), contact_of(alpha)
    message = sns_notification(authority, ses_bounce(ann.email), Timestamp="2020-01-01T00:00:00.000Z")
    response = post_sns(client, alpha, secret, message)
    assert response.status_code == 403 and "replayed" in response.json()["error"]


def test_a_malformed_sns_body_is_a_400(alpha, client, authority, amazon):
    secret = make_secret(alpha)
    response = client.post(
        f"/hooks/alpha/mail-events/?secret={secret}", b"nope", content_type="text/plain",
        headers={"x-amz-sns-message-type": "Notification"},
    )  # fmt: skip
    assert response.status_code == 400
    bad_ses = sns_notification(authority, {"notificationType": "Bounce", "bounce": {}})
    response = post_sns(client, alpha, secret, bad_ses)
    assert response.status_code == 400 and "bouncedRecipients" in response.json()["error"]


def test_a_subscription_is_confirmed_by_its_amazon_link_and_audited(alpha, client, authority, amazon):
    secret = make_secret(alpha)
    subscribe = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc"
    message = authority.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "abc",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe,
            "Timestamp": sns_notification(authority, {})["Timestamp"],
        }
    )
    response = post_sns(client, alpha, secret, message, kind="SubscriptionConfirmation")
    assert response.json() == {"source": "ses", "confirmed": 1}
    assert amazon == [CERT_URL, subscribe]
    with alpha.context():
        endpoint = MailEventsEndpoint.objects.get(organization=alpha.organization)
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="mail_events.sns_subscribe")
    assert event.object_id == str(endpoint.pk) and event.changes["topic"] == [None, TOPIC]


def test_alphas_secret_on_bravos_url_is_refused_before_anything_is_fetched(alpha, bravo, client, authority, amazon):
    secret = make_secret(alpha)
    make_secret(bravo)
    bob = contact_of(bravo, email="bob@bravo.example")
    assert post_sns(client, bravo, secret, sns_notification(authority, ses_bounce(bob.email))).status_code == 403
    assert amazon == [] and fresh(bravo, bob).undeliverable_at is None
