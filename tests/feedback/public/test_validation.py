"""A form with a mistake comes back with everything the person typed, an error summary and linked errors."""

import re

from .helpers import items_of, submit

TEXT = "The calibration certificate should come with the wrench, not by post."


def test_a_missing_message_re_renders_with_the_other_fields_kept(alpha, client):
    response = submit(client, alpha, message="   ")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Write your message." in content
    assert 'value="Ada Customer"' in content and 'value="ada@customer.example"' in content
    assert re.search(r'value="suggestion"\s+checked', content)
    assert items_of(alpha) == []


def test_the_error_summary_takes_focus_and_links_to_each_field(alpha, client):
    content = submit(client, alpha, message="", kind="", email="not-an-address").content.decode()
    summary = re.search(r'<div class="alert alert-danger"[^>]*>.*?</div>', content, re.S).group(0)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert re.findall(r'href="(#[^"]+)"', summary) == ["#id_kind_0", "#id_message", "#id_email"]  # page order
    assert content.count("<title>Error: ") == 1


def test_each_error_is_tied_to_its_field_for_screen_readers(alpha, client):
    content = submit(client, alpha, message="", email="not-an-address").content.decode()
    textarea = re.search(r"<textarea[^>]*>", content, re.S).group(0)
    assert 'aria-invalid="true"' in textarea
    assert "id_message-error" in re.search(r'aria-describedby="([^"]+)"', textarea).group(1)
    assert 'id="id_message-error"' in content
    email = re.search(r'<input[^>]*name="email"[^>]*>', content, re.S).group(0)
    assert 'aria-invalid="true"' in email and "id_email-error" in email
    assert 'id="id_email-error"' in content


def test_a_message_that_is_too_long_is_kept_whole_with_a_clear_error(alpha, client):
    long_text = "x" * 4990 + " the end."
    long_text += "y" * (5001 - len(long_text))
    response = submit(client, alpha, message=long_text)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Your message is 5,001 characters long; the limit is 5,000." in content
    assert long_text in content
    assert "maxlength" not in re.search(r"<textarea[^>]*>", content, re.S).group(0)
    assert items_of(alpha) == []


def test_a_message_of_exactly_the_limit_is_accepted(alpha, client):
    assert submit(client, alpha, message="z" * 5000).status_code == 302
    assert len(items_of(alpha)[0].text) == 5000


def test_an_unknown_kind_is_refused(alpha, client):
    response = submit(client, alpha, kind="praise")
    assert response.status_code == 200
    assert "Choose one of the kinds." in response.content.decode()
    assert items_of(alpha) == []


def test_what_was_typed_is_escaped_when_shown_again(alpha, client):
    response = submit(
        client, alpha, message='<script>alert("m")</script>', name='"><img src=x onerror=alert(1)>', kind=""
    )
    content = response.content.decode()
    assert "<script>alert" not in content and "<img src=x" not in content
    assert "&lt;script&gt;alert(&quot;m&quot;)&lt;/script&gt;" in content
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in content


def test_a_missing_fill_token_is_refused_with_the_text_kept(alpha, client):
    response = submit(client, alpha, started="")
    assert response.status_code == 200
    assert TEXT in response.content.decode()
    assert "press “Send feedback” again" in response.content.decode()
    assert items_of(alpha) == []


def test_overlong_fields_are_errors_not_crashes(alpha, client):
    response = submit(client, alpha, email="a" * 250 + "@example.com", name="n" * 201, product="p" * 201)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('aria-invalid="true"') == 3
    assert items_of(alpha) == []


def test_a_null_character_is_an_error_not_a_crash(alpha, client):
    response = submit(client, alpha, message="Hello\x00there")
    assert response.status_code == 200
    assert items_of(alpha) == []
