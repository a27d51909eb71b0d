"""Campaign mail written as bytes (marketing/mime.py) reads back as the message Django would send."""

import email
from email import policy

import pytest
from django.core.mail import BadHeaderError

from marketing import mime


def _build(**overrides) -> bytes:
    fields = {
        "from_email": "CRM <news@example.com>",
        "to": "ann@example.com",
        "subject": "Hi Ann",
        "text": "Hello Ann,\nsee the offer.\n",
        "html": "<p>Hello Ann,</p>\n<p>see the offer.</p>",
        "headers": {"Message-ID": "<mkt-1-2@mail.example.com>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    }
    return mime.build(**(fields | overrides))


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def _content(part) -> str:
    return part.get_content().replace("\r\n", "\n")  # the parser keeps the wire's CRLF


def test_a_message_reads_back_with_its_headers_and_both_parts():
    data = _build()
    message = _parse(data)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF line ends only
    assert message["Subject"] == "Hi Ann" and message["To"] == "ann@example.com"
    assert message["From"] == "CRM <news@example.com>" and message["Date"]
    assert message["Message-ID"] == "<mkt-1-2@mail.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert text.get_content_type() == "text/plain" and _content(text) == "Hello Ann,\nsee the offer.\n"
    assert html.get_content_type() == "text/html" and "<p>see the offer.</p>" in _content(html)
    assert text["Content-Transfer-Encoding"] == "7bit"


def test_non_ascii_subject_name_and_body_are_encoded_and_decode_back():
    data = _build(subject="Merhaba Çağla, şimdi %20", text="Günaydın Çağla\n", html="<p>Günaydın Çağla</p>")
    message = _parse(data)
    assert data.isascii() is False  # the body is 8bit, as Django sends utf-8
    assert b"=?utf-8?" in data.split(b"\r\n\r\n", 1)[0]  # the subject is an encoded word
    assert message["Subject"] == "Merhaba Çağla, şimdi %20"
    text, html = message.iter_parts()
    assert text["Content-Transfer-Encoding"] == "8bit" and _content(text) == "Günaydın Çağla\n"
    assert _content(html) == "<p>Günaydın Çağla</p>"  # the CRLF before a boundary is the boundary's


def test_a_line_longer_than_998_bytes_goes_quoted_printable():
    long_html = "<p>" + "word " * 400 + "</p>"
    message = _parse(_build(html=long_html))
    html = message.get_payload()[1]
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert _content(html).rstrip("\n") == long_html
    assert max(len(line) for line in _build(html=long_html).split(b"\r\n")) <= 998


def test_a_long_subject_is_folded_and_unfolds_to_itself():
    subject = "A spring offer for you " * 6
    data = _build(subject=subject.strip())
    assert max(len(line) for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")) <= 78
    assert _parse(data)["Subject"] == subject.strip()


@pytest.mark.parametrize("field", ["subject", "to"])
def test_a_newline_in_a_header_value_is_refused_as_django_does(field):
    with pytest.raises(ValueError):
        _build(**{field: "Ann\r\nBcc: everyone@example.com"})


def test_a_newline_in_an_extra_header_raises_bad_header_error():
    with pytest.raises(BadHeaderError):
        _build(headers={"List-Unsubscribe": "<https://x.example/u/1/>\nBcc: x@example.com"})


def test_the_boundary_never_occurs_in_a_part():
    data = _build()
    boundary = _parse(data).get_boundary()
    assert data.count(boundary.encode()) == 4  # the header, two delimiters and the close: never in a part


def test_campaign_email_is_a_django_message_whose_mime_form_is_the_built_bytes():
    message = mime.CampaignEmail("Hi", "Hello", "news@example.com", ["ann@example.com"], headers={"X-A": "1"})
    message.attach_alternative("<p>Hello</p>", "text/html")
    parsed = _parse(message.message().as_bytes(linesep="\r\n"))
    assert parsed["X-A"] == "1" and _content(parsed.get_payload()[1]) == "<p>Hello</p>"
