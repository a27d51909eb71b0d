"""support.mail on real RFC 822 fixtures (mail_fixtures/), and the pure composition helpers."""

import random
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.core.mail import EmailMultiAlternatives
from django.utils import translation

from support import mail

FIXTURES = Path(__file__).parent / "mail_fixtures"
SUPPORT = "support@example-crm.test"
OUR_LAST_REPLY = "2c9d1f8e7b6a4d3c9e1f0a2b3c4d5e6f@support.example-crm.test"


def parse(name: str, *, max_attachment_bytes: int = 10 * 1024 * 1024, own=(SUPPORT,)) -> mail.ParsedEmail:
    raw = (FIXTURES / name).read_bytes()
    return mail.parse_message(raw, max_attachment_bytes=max_attachment_bytes, own_addresses=own)


def simple_message(headers: str, body: str = "Hello\n") -> bytes:
    return f"{headers.strip()}\nContent-Type: text/plain; charset=utf-8\n\n{body}".encode()


# ---------------------------------------------------------------- Gmail


def test_a_gmail_reply_carries_in_reply_to_and_the_references_chain_in_order():
    parsed = parse("gmail_reply.eml")

    assert parsed.message_id == "CAJ8kR2nX4q=vE+Lw7pP5h0sTq3yGmB1dK9eF2hJ6cU@mail.gmail.com"
    assert parsed.in_reply_to == [OUR_LAST_REPLY]
    assert parsed.references == ["8b1d3e0f6a2c4f5e9d7b1a3c5e7f9a0b@support.example-crm.test", OUR_LAST_REPLY]


def test_a_gmail_reply_gives_a_lower_cased_sender_with_a_decoded_name_and_the_recipients():
    parsed = parse("gmail_reply.eml")

    assert parsed.from_address == "ayse.yilmaz@gmail.com"
    assert parsed.from_name == "Ayşe Yılmaz"
    assert parsed.to_addresses == [SUPPORT]
    assert parsed.cc_addresses == ["muhasebe@yilmaz-tekstil.test"]
    assert parsed.delivered_to == [SUPPORT]
    assert parsed.date == datetime(2026, 12, 7, 15, 14, 11, tzinfo=UTC)


def test_a_gmail_reply_folds_the_on_wrote_quote_even_when_gmail_wrapped_the_attribution():
    parsed = parse("gmail_reply.eml")

    assert parsed.reply_text.startswith("Hi,")
    assert parsed.reply_text.endswith("Thanks,\nAyşe")
    assert "wrote" not in parsed.reply_text and "Which VAT number" not in parsed.reply_text
    assert parsed.quoted_text.startswith("On Sun, 6 Dec 2026 at 17:02, Acme Support")
    assert "> Thank you for your message." in parsed.quoted_text


def test_a_gmail_reply_prefers_the_plain_part_and_keeps_a_sanitised_html_part():
    parsed = parse("gmail_reply.eml")

    assert parsed.text.startswith("Hi,\n\nThe VAT number should be 1234567890 (Kadık tax office).")
    assert "<blockquote" in parsed.html and 'rel="noopener noreferrer"' in parsed.html
    assert not parsed.is_automatic and parsed.automatic_reason == ""


# ---------------------------------------------------------------- Outlook


def test_an_outlook_reply_has_references_only_and_no_in_reply_to():
    parsed = parse("outlook_reply.eml")

    assert parsed.in_reply_to == []
    assert parsed.references == ["5e1f7a9c3b2d4e6f8a0b1c2d3e4f5a6b@support.example-crm.test"]
    # The folded Message-ID header is read whole; its domain is lower-cased, its local part kept.
    assert parsed.message_id == "AM9PR07MB71234F0A1B2C3D4E5F6A7B8C9D0E1F2A@am9pr07mb7123.eurprd07.prod.outlook.com"


def test_an_outlook_reply_folds_the_original_message_block():
    parsed = parse("outlook_reply.eml")

    assert parsed.reply_text == (
        "Hello,\n\nThanks, Friday works for us. Please ask the driver to call 30 minutes ahead.\n\nRegards,\nMehmet"
    )
    assert parsed.quoted_text.startswith("-----Original Message-----\nFrom: Acme Support")
    assert "delivered on Friday 11 December" in parsed.quoted_text


def test_an_outlook_html_body_folds_its_from_sent_block_and_loses_its_style_sheet():
    parsed = parse("outlook_reply.eml")

    reply, quoted = mail.split_quoted(mail.html_to_text(parsed.html))

    assert (
        reply
        == "Hello,\n\nThanks, Friday works for us. Please ask the driver to call 30 minutes ahead.\n\nRegards,\nMehmet"
    )
    assert quoted.startswith("From: Acme Support <support@example-crm.test>\nSent: Sunday, December 6, 2026 4:55 PM")
    assert "<style" not in parsed.html and "MsoNormal" not in parsed.html and "Calibri" not in parsed.html


# ---------------------------------------------------------------- subject token


def test_a_reply_with_only_a_subject_token_has_no_threading_headers_but_names_its_ticket():
    parsed = parse("subject_token_only.eml")

    assert parsed.in_reply_to == [] and parsed.references == []
    assert mail.ticket_id_from_subject(parsed.subject) == 42
    assert parsed.reply_text.startswith("The corrected invoice arrived, thank you.")
    assert not parsed.is_automatic


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: [Ticket #42] Invoice", 42),
        ("AW: invoice [ticket #7] again", 7),
        ("Fwd: [TICKET # 1234 ] see below", 1234),
        ("[Ticket #3] first [Ticket #9] second", 3),
        ("Ticket 42 without brackets", None),
        ("[Ticket #abc]", None),
        ("", None),
    ],
)
def test_the_ticket_number_is_read_from_a_token_anywhere_in_the_subject_in_any_case(subject, expected):
    assert mail.ticket_id_from_subject(subject) == expected


# ---------------------------------------------------------------- automatic mail


def test_an_out_of_office_reply_is_automatic_even_though_it_threads_to_a_ticket():
    parsed = parse("out_of_office.eml")

    assert parsed.is_automatic
    assert parsed.automatic_reason == "auto-submitted"
    assert parsed.in_reply_to == ["5e1f7a9c3b2d4e6f8a0b1c2d3e4f5a6b@support.example-crm.test"]


def test_a_bounce_is_an_automatic_delivery_report_from_the_mailer_daemon():
    parsed = parse("bounce.eml")

    assert parsed.is_automatic
    assert parsed.automatic_reason == "delivery-report"
    assert parsed.from_address == "mailer-daemon@mail.example-crm.test"
    assert "User unknown" in parsed.text
    assert [a.content_type for a in parsed.attachments] == ["message/delivery-status", "text/rfc822-headers"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("From: a@example.org\nAuto-Submitted: auto-generated", "auto-submitted"),
        ("From: a@example.org\nX-Autoreply: yes", "autoreply-header"),
        ("From: a@example.org\nX-Autorespond: Vacation", "autoreply-header"),
        ("From: a@example.org\nPrecedence: bulk", "precedence"),
        ("From: a@example.org\nPrecedence: junk", "precedence"),
        ("From: a@example.org\nPrecedence: list", "precedence"),
        ("Return-Path: <>\nFrom: a@example.org", "empty-return-path"),
        ("From: Postmaster <POSTMASTER@example.org>", "mailer-daemon"),
        ("From: Acme Support <Support@Example-CRM.test>", "own-address"),
    ],
)
def test_each_sign_of_automatic_mail_is_recognised_with_its_reason(headers, reason):
    raw = simple_message(headers)

    parsed = mail.parse_message(raw, max_attachment_bytes=1000, own_addresses=[SUPPORT])

    assert parsed.is_automatic
    assert parsed.automatic_reason == reason
    assert reason in mail.AUTOMATIC_REASONS


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@example.org\nAuto-Submitted: no",
        "From: a@example.org\nPrecedence: first-class",
        "Return-Path: <a@example.org>\nFrom: a@example.org",
        "From: a@example.org\nList-Id: <team.example.org>\nList-Unsubscribe: <mailto:leave@example.org>",
    ],
)
def test_a_person_s_mail_is_not_automatic_not_even_through_a_mailing_list_alias(headers):
    parsed = mail.parse_message(simple_message(headers), max_attachment_bytes=1000, own_addresses=[SUPPORT])

    assert not parsed.is_automatic
    assert parsed.automatic_reason == ""


# ---------------------------------------------------------------- charsets


def test_an_iso_8859_9_message_decodes_its_encoded_word_subject_sender_and_body():
    parsed = parse("turkish_iso8859_9.eml")

    assert parsed.subject == "Siparişim henüz gelmedi: İzmir'e ne zaman gelir?"
    assert parsed.from_name == "Çağrı Öztürk"
    assert "ödemeyi cuma günü yaptım" in parsed.text
    assert "Ağustos'tan beri İzmir şubenizle yazışıyorum" in parsed.text
    for letter in "şğıİ":
        assert letter in parsed.reply_text


def test_an_iso_8859_9_reply_folds_the_turkish_tarihinde_yazdi_quote():
    parsed = parse("turkish_iso8859_9.eml")

    assert parsed.reply_text.endswith("Teşekkürler,\nÇağrı Öztürk")
    assert parsed.quoted_text.startswith("6.12.2026 17:02 tarihinde Acme Destek yazdı:")
    assert "Siparişiniz hazırlanıyor" in parsed.quoted_text


def test_a_windows_1254_subject_is_decoded():
    raw = simple_message("From: a@example.org\nSubject: =?windows-1254?Q?=DEikayet_=F0=FCn=FC?=")

    parsed = mail.parse_message(raw, max_attachment_bytes=1000, own_addresses=[])

    assert parsed.subject == "Şikayet ğünü"


def test_an_unknown_charset_is_decoded_with_replacement_never_an_exception():
    raw = (
        b"From: a@example.org\nSubject: =?x-no-such-charset?Q?caf=E9?= ok\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\nContent-Transfer-Encoding: 8bit\n\ncaf\xe9 body\n"
    )

    parsed = mail.parse_message(raw, max_attachment_bytes=1000, own_addresses=[])

    assert parsed.subject.startswith("caf") and parsed.subject.endswith(" ok")
    assert parsed.text.startswith("caf") and parsed.text.endswith(" body")


def test_undeclared_utf8_in_headers_and_a_body_labelled_ascii_still_reads_as_utf8():
    raw = "From: Gökhan <g@example.org>\nSubject: Değişiklik\nContent-Type: text/plain\n\nGüle güle\n".encode()

    parsed = mail.parse_message(raw, max_attachment_bytes=1000, own_addresses=[])

    assert (parsed.from_name, parsed.subject, parsed.text) == ("Gökhan", "Değişiklik", "Güle güle")


# ---------------------------------------------------------------- HTML


def test_an_html_only_message_is_sanitised_of_script_and_event_handlers():
    parsed = parse("html_only_script.eml")

    lowered = parsed.html.lower()
    assert "<script" not in lowered and "document.cookie" not in lowered
    assert "onclick" not in lowered and "onerror" not in lowered and "javascript:" not in lowered
    assert '<a href="https://portal.shop-partner.test/claims/5521"' in parsed.html


def test_an_html_only_message_gives_its_text_converted_from_the_html():
    parsed = parse("html_only_script.eml")

    assert parsed.text.startswith("Hello,\nOrder 10031 arrived with a broken lid.\nPhotos are on our portal.")
    assert "Damage report" not in parsed.text and "font-family" not in parsed.text and "cookie" not in parsed.text


# ---------------------------------------------------------------- attachments


def test_an_oversized_attachment_is_dropped_and_listed_while_a_small_one_is_kept():
    parsed = parse("oversized_attachment.eml", max_attachment_bytes=2048)

    assert [(a.filename, a.content_type, a.size) for a in parsed.attachments] == [
        ("fatura şubat.pdf", "application/pdf", 359)
    ]
    assert parsed.attachments[0].content.startswith(b"%PDF-1.4")
    assert parsed.dropped_attachments == [
        mail.DroppedAttachment(filename="IMG_2041.jpg", content_type="image/jpeg", size=6013)
    ]


def test_the_dropped_attachment_note_names_the_file_and_the_sizes_in_turkish_too():
    dropped = mail.DroppedAttachment(filename="IMG_2041.jpg", content_type="image/jpeg", size=6013)

    with translation.override("en"):
        english = mail.dropped_attachment_note(dropped, max_attachment_bytes=2048)
    with translation.override("tr"):
        turkish = mail.dropped_attachment_note(dropped, max_attachment_bytes=2048)

    assert english == "Attachment IMG_2041.jpg was dropped: 5.9\xa0KB is larger than the limit of 2.0\xa0KB."
    assert turkish.startswith("IMG_2041.jpg eki") and "sınır" in turkish


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ayse\\rapor.docx", "rapor.docx"),
        ("in<voice>|?.pdf", "in_voice_.pdf"),
        ("...", "attachment.pdf"),
        ("", "attachment.pdf"),
    ],
)
def test_attachment_names_lose_paths_and_unsafe_characters(name, expected):
    assert mail.sanitise_filename(name, content_type="application/pdf") == expected


def test_a_very_long_attachment_name_is_cut_keeping_its_extension():
    name = mail.sanitise_filename("a" * 300 + ".pdf")

    assert len(name) == 150 and name.endswith(".pdf")


# ---------------------------------------------------------------- From


def test_a_message_without_from_has_no_from_address():
    parsed = parse("no_from.eml")

    assert parsed.from_address is None
    assert parsed.from_name == ""
    assert parsed.text == "The nightly export finished with 0 errors."


def test_a_from_without_a_usable_address_gives_none():
    raw = simple_message("From: undisclosed-recipients:;")

    parsed = mail.parse_message(raw, max_attachment_bytes=1000, own_addresses=[])

    assert parsed.from_address is None


def test_a_date_without_a_zone_is_read_as_utc_and_a_broken_date_as_none():
    undated = mail.parse_message(
        simple_message("From: a@example.org\nDate: yesterday"), max_attachment_bytes=1, own_addresses=[]
    )
    unzoned = mail.parse_message(
        simple_message("From: a@example.org\nDate: Mon, 7 Dec 2026 10:00:00 -0000"),
        max_attachment_bytes=1,
        own_addresses=[],
    )

    assert undated.date is None
    assert unzoned.date == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


# ---------------------------------------------------------------- quoted history


@pytest.mark.parametrize(
    "attribution",
    [
        "On Sun, 6 Dec 2026 at 17:02, Acme Support <support@example-crm.test> wrote:",
        "6 Ara 2026 Paz, 17:02 tarihinde Acme Destek <support@example-crm.test> şunu yazdı:",
        "-----Original Message-----",
        "________________________________\nFrom: Acme Support <support@example-crm.test>\nSent: 6 December 2026 16:55",
        "Kimden: Acme Destek <support@example-crm.test>\nGönderildi: 6 Aralık 2026 Pazar 16:55",
    ],
)
def test_each_client_s_quote_header_starts_the_quoted_part(attribution):
    text = f"Thanks, that works.\n\n{attribution}\n\nOur earlier answer."

    reply, quoted = mail.split_quoted(text)

    assert reply == "Thanks, that works."
    assert quoted.startswith(attribution.splitlines()[0]) and quoted.endswith("Our earlier answer.")


def test_trailing_quoted_lines_are_folded_but_inline_quotes_above_an_answer_are_kept():
    trailing = mail.split_quoted("Yes please.\n\n> Shall we send it?\n>\n> Acme\n")
    inline = mail.split_quoted("> Shall we send it?\nYes please.\n")

    assert trailing == ("Yes please.", "> Shall we send it?\n>\n> Acme")
    assert inline == ("> Shall we send it?\nYes please.", "")


def test_a_message_that_is_all_quote_keeps_its_text_as_the_reply():
    assert mail.split_quoted("> only a quote\n> nothing new") == ("> only a quote\n> nothing new", "")


# ---------------------------------------------------------------- Message-IDs


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<AbC.123@Mail.Example.ORG>", "AbC.123@mail.example.org"),
        ("  abc@example.org ", "abc@example.org"),
        ("<abc@example.org> (comment)", "abc@example.org"),
        ("", ""),
        ("<>", ""),
    ],
)
def test_a_message_id_is_normalised_without_brackets_and_with_a_lower_case_domain(value, expected):
    assert mail.normalise_message_id(value) == expected


def test_an_overlong_message_id_is_cut_to_the_column_length_the_same_way_for_storing_and_lookup():
    overlong = "<" + "x" * 300 + "@Example.org>"

    stored = mail.normalise_message_id(overlong)

    assert len(stored) == mail.MESSAGE_ID_MAX_LENGTH == 255
    assert mail.message_ids(f"{overlong} <b@x.org>") == [stored, "b@x.org"]


def test_message_ids_are_read_from_a_header_in_order_without_repeats_even_without_brackets():
    assert mail.message_ids("<b@x.org> <a@X.org>\n <b@x.org>") == ["b@x.org", "a@x.org"]
    assert mail.message_ids("a@x.org b@x.org") == ["a@x.org", "b@x.org"]


# ---------------------------------------------------------------- composition


def test_a_new_message_id_is_unique_and_on_the_given_domain():
    first = mail.new_message_id(domain="Support.Example-CRM.test")
    second = mail.new_message_id(domain="support.example-crm.test")

    assert first != second
    assert first.startswith("<") and first.endswith("@support.example-crm.test>")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Invoice", "Re: [Ticket #42] Invoice"),
        ("Re: Invoice", "Re: [Ticket #42] Invoice"),
        ("RE: Re: re:Invoice", "Re: [Ticket #42] Invoice"),
        ("Re: [Ticket #42] Invoice", "Re: [Ticket #42] Invoice"),
        ("Re: [ticket #42] Re: Invoice", "Re: [Ticket #42] Invoice"),
        ("AW: [Ticket #42] Invoice [Ticket #42]", "Re: [Ticket #42] Invoice"),
        ("YNT: Fwd: Invoice", "Re: [Ticket #42] Invoice"),
        ("", "Re: [Ticket #42]"),
    ],
)
def test_a_reply_subject_has_one_re_and_one_ticket_token(subject, expected):
    result = mail.reply_subject(42, subject)

    assert result == expected
    assert result.lower().count("re:") == 1 and result.lower().count("[ticket #") == 1


def test_a_reply_to_a_merged_ticket_s_subject_carries_only_the_new_ticket_s_token():
    assert mail.reply_subject(57, "Re: [Ticket #42] Invoice") == "Re: [Ticket #57] Invoice"


def test_the_references_chain_is_the_parent_s_references_then_the_parent_without_repeats():
    chain = mail.references_chain(["<root@x.org>", "<b@X.org>", "<root@x.org>"], "<parent@x.org>")

    assert chain == ["root@x.org", "b@x.org", "parent@x.org"]
    assert mail.references_chain([], None) == []
    assert mail.references_chain([], "<p@x.org>") == ["p@x.org"]


def test_a_long_references_chain_keeps_the_first_and_the_most_recent_ids():
    previous = [f"<m{number}@x.org>" for number in range(30)]

    chain = mail.references_chain(previous, "<parent@x.org>", limit=5)

    assert chain == ["m0@x.org", "m27@x.org", "m28@x.org", "m29@x.org", "parent@x.org"]


def test_build_email_sets_the_threading_headers_and_reply_to():
    message = mail.build_email(
        subject="Re: [Ticket #42] Invoice",
        body="Here is the corrected invoice.",
        from_email="Acme Support <support@example-crm.test>",
        to=["ayse.yilmaz@gmail.com"],
        message_id="<abc@support.example-crm.test>",
        in_reply_to="CAJ8kR2n@mail.gmail.com",
        references=["root@support.example-crm.test", "<CAJ8kR2n@mail.gmail.com>"],
        reply_to=["support@example-crm.test"],
    )

    sent = message_from_bytes(message.message().as_bytes(), policy=default_policy)
    assert sent["Message-ID"] == "<abc@support.example-crm.test>"
    assert sent["In-Reply-To"] == "<CAJ8kR2n@mail.gmail.com>"
    assert sent["References"] == "<root@support.example-crm.test> <CAJ8kR2n@mail.gmail.com>"
    assert sent["Reply-To"] == "support@example-crm.test"
    assert sent["Auto-Submitted"] is None
    assert sent.get_content().strip() == "Here is the corrected invoice."


def test_build_email_marks_an_acknowledgement_auto_replied_only_when_asked():
    acknowledgement = mail.build_email(
        subject="Re: [Ticket #42] Invoice",
        body="We received your message.",
        from_email=SUPPORT,
        to=["ayse.yilmaz@gmail.com"],
        message_id=mail.new_message_id(domain="support.example-crm.test"),
        auto_submitted="auto-replied",
    )

    sent = message_from_bytes(acknowledgement.message().as_bytes(), policy=default_policy)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] is None and sent["References"] is None


def test_build_email_with_html_adds_an_html_alternative_to_the_text():
    message = mail.build_email(
        subject="Re: [Ticket #42] Invoice",
        body="Plain text",
        html="<p>Rich text</p>",
        from_email=SUPPORT,
        to=["ayse.yilmaz@gmail.com"],
        message_id="<abc@support.example-crm.test>",
    )

    assert isinstance(message, EmailMultiAlternatives)
    sent = message_from_bytes(message.message().as_bytes(), policy=default_policy)
    assert sent.get_content_type() == "multipart/alternative"
    assert sent.get_body(preferencelist=("html",)).get_content().strip() == "<p>Rich text</p>"
    assert sent.get_body(preferencelist=("plain",)).get_content().strip() == "Plain text"


def test_a_long_references_header_survives_sending_whole():
    references = [f"{number:032x}@support.example-crm.test" for number in range(20)]

    message = mail.build_email(
        subject="Re: [Ticket #42] Invoice",
        body="x",
        from_email=SUPPORT,
        to=["a@example.org"],
        message_id="<abc@support.example-crm.test>",
        references=references,
    )

    sent = message_from_bytes(message.message().as_bytes(), policy=default_policy)
    assert mail.message_ids(str(sent["References"])) == references
    assert max(len(line) for line in message.message().as_bytes().splitlines()) <= 998


def test_an_inbound_date_in_another_zone_compares_as_the_same_instant():
    parsed = parse("turkish_iso8859_9.eml")

    assert parsed.date == datetime(2026, 12, 7, 11, 5, 33, tzinfo=timezone(timedelta(hours=3)))


def test_an_attached_message_is_kept_whole_as_one_eml_attachment():
    raw = (
        b"From: a@example.org\nSubject: Fwd: complaint\nContent-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: text/plain\n\nSee the forwarded complaint.\n"
        b"--XX\nContent-Type: message/rfc822\n\n"
        b"From: c@example.org\nSubject: broken lid\nContent-Type: text/plain\n\nThe lid is broken.\n"
        b"--XX--\n"
    )

    parsed = mail.parse_message(raw, max_attachment_bytes=10_000, own_addresses=[])

    assert parsed.text == "See the forwarded complaint."
    [attached] = parsed.attachments
    assert (attached.filename, attached.content_type) == ("attachment.eml", "message/rfc822")
    assert b"Subject: broken lid" in attached.content and b"The lid is broken." in attached.content


def test_truncated_or_corrupted_mail_never_raises():
    rnd = random.Random(13)
    originals = [path.read_bytes() for path in sorted(FIXTURES.glob("*.eml"))]

    for _ in range(400):
        raw = bytearray(rnd.choice(originals))
        if rnd.random() < 0.3:
            raw = raw[: rnd.randrange(len(raw))]
        else:
            for _ in range(rnd.randrange(1, 30)):
                raw[rnd.randrange(len(raw))] = rnd.choice(b'<>"=?;:\r\n\t \xff\x00@-_abcQB')
        parsed = mail.parse_message(bytes(raw), max_attachment_bytes=1000, own_addresses=[SUPPORT])
        assert isinstance(parsed.subject, str) and isinstance(parsed.text, str)
