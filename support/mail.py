"""Support email without the ORM: parse what arrives, compose what leaves.

Everything here is a pure function on bytes and strings, so the ingest and send
services (which own the database) stay short and these rules are tested on real
RFC 822 fixtures (support/tests/mail_fixtures/).

Message-IDs are handled in one normalised form everywhere, stored and compared:
no angle brackets, no surrounding whitespace, the domain part (after the last
``@``) lower-cased and the local part kept as sent (RFC 5322 makes it
case-sensitive; domains are not), cut to 255 characters (the columns' length).
``normalise_message_id`` is the one helper that produces it, for storing and for
lookups alike; headers get the brackets back through ``format_message_id``.
"""

from __future__ import annotations

import email
import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header
from email.message import Message
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import getaddresses, parsedate_to_datetime
from typing import Literal

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm_project.text import html_to_text, sanitise_html

# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    size: int
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class DroppedAttachment:
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # normalised, "" when the message has none
    in_reply_to: list[str]
    references: list[str]
    from_address: str | None  # lower-cased; None when there is no usable From
    from_name: str
    to_addresses: list[str]
    cc_addresses: list[str]
    delivered_to: list[str]  # Delivered-To / X-Original-To: the envelope, for mail that reached us by Bcc
    subject: str
    date: datetime | None  # aware; None when missing or unreadable
    text: str
    html: str  # sanitised with nh3, "" when the message has no HTML part
    reply_text: str
    quoted_text: str
    attachments: list[ParsedAttachment]
    dropped_attachments: list[DroppedAttachment]
    is_automatic: bool
    automatic_reason: str  # a key of AUTOMATIC_REASONS, "" when not automatic


# Why a message was taken for automatic mail; the keys are stored (InboundEmail.reason),
# the labels shown.
AUTOMATIC_REASONS = {
    "auto-submitted": _("Auto-Submitted header"),
    "autoreply-header": _("Auto-reply header"),
    "precedence": _("Bulk, junk or list precedence"),
    "empty-return-path": _("Empty Return-Path (a bounce)"),
    "delivery-report": _("Delivery or read report"),
    "mailer-daemon": _("Sent by a mail server"),
    "own-address": _("Sent from one of our own addresses (a loop)"),
}

# ---------------------------------------------------------------- Message-IDs

_ANGLED_ID = re.compile(r"<([^<>\s]+)>")
MESSAGE_ID_MAX_LENGTH = 255  # the message_id columns of TicketMessage, InboundEmail and OutboundEmail


def normalise_message_id(value: str) -> str:
    """The stored, comparable form of one Message-ID (see the module docstring)."""
    found = _ANGLED_ID.search(value)
    bare = found.group(1) if found else value.strip().strip("<>").strip()
    if not bare or any(ch.isspace() for ch in bare):
        return ""
    local, at, domain = bare.rpartition("@")
    normalised = f"{local}@{domain.lower()}" if at else bare
    # Cut to the stored column's length; lookups cut the same way, so an overlong id still matches.
    return normalised[:MESSAGE_ID_MAX_LENGTH]


def format_message_id(value: str) -> str:
    """``<id>`` for a header, whatever form the id came in."""
    return f"<{normalise_message_id(value)}>"


def message_ids(value: str) -> list[str]:
    """Every Message-ID in a References or In-Reply-To value, in order, normalised, no repeats.

    Bracketed ids are taken; clients that drop the brackets get whitespace-separated
    tokens containing an ``@`` instead.
    """
    found = _ANGLED_ID.findall(value) or [token for token in value.split() if "@" in token]
    return _unique(normalise_message_id(item) for item in found)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(item for item in items if item))


# ---------------------------------------------------------------- headers


def _raw_header(msg: Message, name: str) -> str | None:
    """The header as sent (unfolded), without the email package's structured parsing.

    ``policy.default`` parses address and date headers eagerly and can raise on
    malformed ones; reading the raw value and decoding it ourselves never does.
    """
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return re.sub(r"\r?\n[ \t]", " ", str(value)).strip()
    return None


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text in the declared charset; an unknown or wrong charset degrades, never raises."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            if candidate.lower() in ("us-ascii", "ascii") and not data.isascii():
                continue  # undeclared 8-bit text labelled ASCII: try UTF-8 next
            return data.decode(candidate, errors="strict" if candidate == "utf-8" else "replace")
        except (LookupError, ValueError, TypeError):  # unknown, non-text or malformed codec name
            continue
    return data.decode("windows-1252", errors="replace")


def decode_header_text(raw: str) -> str:
    """Encoded words (RFC 2047) decoded in any charset; raw 8-bit bytes guessed as UTF-8, else Windows-1252."""
    try:
        parts = decode_header(raw)
    except Exception:  # a malformed header is kept as it came
        parts = [(raw, None)]
    text = ""
    for chunk, charset in parts:
        if isinstance(chunk, str):
            # The bytes parser keeps undeclared 8-bit header bytes as surrogate escapes.
            chunk = chunk.encode("utf-8", errors="surrogateescape")
        text += _decode_bytes(chunk, charset)
    return " ".join(text.split())


def _addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    values = [decode_header_text(raw) for name in names if (raw := _raw_header(msg, name))]
    pairs = getaddresses(values)
    return [(" ".join(name.split()), address.strip().lower()) for name, address in pairs if _usable(address)]


def _usable(address: str) -> bool:
    local, at, domain = address.strip().rpartition("@")
    return bool(at and local and "." in domain and not any(ch.isspace() for ch in address.strip()))


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        parsed = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means "zone unknown"; the email package then returns a naive time, read as UTC.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------- automatic mail

_PRECEDENCE_AUTOMATIC = {"bulk", "junk", "list", "auto_reply"}
_DAEMON_LOCAL_PARTS = {"mailer-daemon", "postmaster"}


def automatic_reason(msg: Message, *, from_address: str | None, own_addresses: Iterable[str]) -> str:
    """Why this message is an auto-reply, bounce, bulk mail or loop ("" for a person's mail).

    Such mail never opens or reopens a ticket and is never answered (RFC 3834).
    List-Id and List-Unsubscribe alone do not count: a customer's team address run as
    a mailing list (a Google Group) carries them on mail a person wrote; real bulk
    mail also says Precedence: bulk/list.
    """
    # Most telling reason first: a bounce also says Auto-Submitted, an auto-reply often has an empty Return-Path.
    if msg.get_content_type() == "multipart/report":
        return "delivery-report"
    if from_address and from_address.split("@")[0] in _DAEMON_LOCAL_PARTS:
        return "mailer-daemon"
    if from_address and from_address in {address.strip().lower() for address in own_addresses}:
        return "own-address"
    auto_submitted = (_raw_header(msg, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto-submitted"
    if _raw_header(msg, "X-Autoreply") is not None or _raw_header(msg, "X-Autorespond") is not None:
        return "autoreply-header"
    if (_raw_header(msg, "Precedence") or "").strip().lower() in _PRECEDENCE_AUTOMATIC:
        return "precedence"
    return_path = _raw_header(msg, "Return-Path")
    if return_path is not None and return_path.strip("<> \t") == "":
        return "empty-return-path"
    return ""


# ---------------------------------------------------------------- subjects

_TICKET_TOKEN = re.compile(r"\[\s*ticket\s*#\s*(\d{1,18})\s*\]", re.IGNORECASE)
# Reply and forward prefixes of common clients, Turkish Outlook's "YNT:" and "İLT:" included.
_REPLY_PREFIX = re.compile(r"^\s*(?:re|fwd?|aw|wg|sv|vs|ynt|ilt|İlt|İLT)\s*(?:\[\d+\])?\s*:\s*", re.IGNORECASE)


def ticket_id_from_subject(subject: str) -> int | None:
    """The ticket number of the first ``[Ticket #123]`` anywhere in the subject, any case."""
    found = _TICKET_TOKEN.search(subject or "")
    return int(found.group(1)) if found else None


def reply_subject(ticket_id: int, subject: str) -> str:
    """``Re: [Ticket #<id>] <subject>``, however many "Re:" or tokens the subject already carries."""
    rest = _TICKET_TOKEN.sub(" ", subject or "")
    previous = None
    while previous != rest:
        previous = rest
        rest = _REPLY_PREFIX.sub("", rest)
    rest = " ".join(rest.split())
    return f"Re: [Ticket #{ticket_id}] {rest}".rstrip()


# ---------------------------------------------------------------- bodies


# ---------------------------------------------------------------- quoted history

# Lines that introduce quoted history, as clients write them.
_GMAIL_ATTRIBUTION = re.compile(r"^\s*(?:On|Am|Le|El)\s.+\s(?:wrote|schrieb|a écrit|escribió)\s*:\s*$", re.IGNORECASE)
_TURKISH_ATTRIBUTION = re.compile(r"tarihinde\s.+\s(?:şunu\s+)?yazdı\s*:\s*$", re.IGNORECASE)
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Orijinal İleti|Özgün İleti|Orijinal Mesaj|Forwarded message)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(?:From|Kimden|Gönderen|Von)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_SENT = re.compile(r"^\s*\*?(?:Sent|Date|Gönderildi|Tarih|Gesendet)\s*:\*?\s+\S", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")


def _quote_start(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None when the message quotes nothing."""
    for index, line in enumerate(lines):
        two_lines = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if _ORIGINAL_MESSAGE.match(line) or _TURKISH_ATTRIBUTION.search(line):
            return index
        if _GMAIL_ATTRIBUTION.match(line) or _TURKISH_ATTRIBUTION.search(two_lines):
            return index
        if not line.startswith(">") and _GMAIL_ATTRIBUTION.match(two_lines) and lines[index + 1].strip():
            return index  # Gmail wraps a long attribution over two lines
        if _OUTLOOK_FROM.match(line) and any(_OUTLOOK_SENT.match(nxt) for nxt in lines[index + 1 : index + 4]):
            has_rule = index > 0 and _UNDERSCORES.match(lines[index - 1])
            return index - 1 if has_rule else index
    return _trailing_quote_start(lines)


def _trailing_quote_start(lines: list[str]) -> int | None:
    """Start of the block of ">" lines (blank lines allowed) that ends the message."""
    start = None
    for index in range(len(lines) - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped.startswith(">"):
            start = index
        elif stripped:
            break
    return start


def split_quoted(text: str) -> tuple[str, str]:
    """(the new part, the quoted history) of a reply.

    When folding would leave nothing (a message that is all quote) the whole text is
    the new part: losing what the customer sent is worse than showing a quote.
    """
    lines = text.splitlines()
    start = _quote_start(lines)
    if start is None:
        return text.strip(), ""
    reply = "\n".join(lines[:start]).strip()
    quoted = "\n".join(lines[start:]).strip()
    return (reply, quoted) if reply else (text.strip(), "")


# ---------------------------------------------------------------- MIME walk

_UNSAFE_FILENAME = re.compile(r"[^\w.\-() ]+")


def sanitise_filename(name: str, *, content_type: str = "application/octet-stream") -> str:
    """A file name safe to store and offer for download: no path, no controls, at most 150 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_FILENAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if not name:
        name = "attachment" + _extension_for(content_type)
    stem, dot, extension = name.rpartition(".")
    if len(name) > 150:
        name = f"{stem[: 149 - len(extension)]}.{extension}" if dot and len(extension) <= 10 else name[:150]
    return name


def _extension_for(content_type: str) -> str:
    if content_type == "message/rfc822":
        return ".eml"
    if content_type.startswith("text/") or content_type.startswith("message/"):
        return mimetypes.guess_extension(content_type) or ".txt"
    return mimetypes.guess_extension(content_type) or ".bin"


def _leaves(part: Message) -> Iterator[Message]:
    """Leaf parts in order; an attached message (message/rfc822) is one leaf, not opened."""
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _is_body(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and part.get_content_disposition() != "attachment"
        and not _filename(part)
    )


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # a malformed parameter is a name we cannot read, not a failure
        return ""


def _part_bytes(part: Message) -> bytes:
    if part.get_content_type().startswith("message/") and part.is_multipart():
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and len(payload) == 1 else part
        if not isinstance(inner, Message):
            inner = part
        try:
            return inner.as_bytes(policy=compat32)  # as received: no refolding of its headers
        except Exception:  # an attached message too broken to write back is kept as text
            return str(inner.get_payload()).encode("utf-8", errors="replace")
    return _payload_bytes(part)


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, list):
        return b"".join(sub.as_bytes() for sub in raw if isinstance(sub, Message))
    try:
        return str(raw).encode("utf-8", errors="surrogateescape")  # the bytes as they came
    except UnicodeEncodeError:
        return str(raw).encode("utf-8", errors="replace")


def _part_text(part: Message) -> str:
    return _decode_bytes(_payload_bytes(part), part.get_content_charset())


@dataclass
class _Body:
    text: list[str] = field(default_factory=list)
    html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    dropped: list[DroppedAttachment] = field(default_factory=list)


def _collect(msg: Message, *, max_attachment_bytes: int) -> _Body:
    body = _Body()
    for part in _leaves(msg):
        content_type = part.get_content_type()
        if _is_body(part):
            if content_type == "text/plain":
                body.text.append(_part_text(part))
            elif not body.html:
                body.html = _part_text(part)
            continue
        content = _part_bytes(part)
        name = sanitise_filename(_filename(part), content_type=content_type)
        if len(content) > max_attachment_bytes:
            body.dropped.append(DroppedAttachment(filename=name, content_type=content_type, size=len(content)))
        else:
            body.attachments.append(
                ParsedAttachment(filename=name, content_type=content_type, size=len(content), content=content)
            )
    return body


# ---------------------------------------------------------------- parse


def parse_message(raw: bytes, *, max_attachment_bytes: int, own_addresses: Iterable[str]) -> ParsedEmail:
    """Everything the ingest service needs from one RFC 822 message; never raises on malformed mail."""
    msg = email.message_from_bytes(raw, policy=default_policy)
    senders = _addresses(msg, "From")
    from_name, from_address = senders[0] if senders else ("", None)
    body = _collect(msg, max_attachment_bytes=max_attachment_bytes)
    html = sanitise_html(body.html)
    text = "\n".join(chunk.strip("\n") for chunk in body.text if chunk.strip()) or html_to_text(body.html)
    reply_text, quoted_text = split_quoted(text)
    reason = automatic_reason(msg, from_address=from_address, own_addresses=own_addresses)
    return ParsedEmail(
        message_id=normalise_message_id(_raw_header(msg, "Message-ID") or ""),
        in_reply_to=message_ids(_raw_header(msg, "In-Reply-To") or ""),
        references=message_ids(_raw_header(msg, "References") or ""),
        from_address=from_address,
        from_name=from_name,
        to_addresses=_unique(address for _, address in _addresses(msg, "To")),
        cc_addresses=_unique(address for _, address in _addresses(msg, "Cc")),
        delivered_to=_unique(address for _, address in _addresses(msg, "Delivered-To", "X-Original-To")),
        subject=decode_header_text(_raw_header(msg, "Subject") or ""),
        date=_date(msg),
        text=text,
        html=html,
        reply_text=reply_text,
        quoted_text=quoted_text,
        attachments=body.attachments,
        dropped_attachments=body.dropped,
        is_automatic=bool(reason),
        automatic_reason=reason,
    )


def dropped_attachment_note(dropped: DroppedAttachment, *, max_attachment_bytes: int) -> str:
    """The note the ingest service adds to a ticket for an attachment it did not keep."""
    return gettext("Attachment %(name)s was dropped: %(size)s is larger than the limit of %(limit)s.") % {
        "name": dropped.filename,
        "size": filesizeformat(dropped.size),
        "limit": filesizeformat(max_attachment_bytes),
    }


# ---------------------------------------------------------------- compose


def new_message_id(*, domain: str) -> str:
    """A fresh ``<uuid@domain>`` Message-ID (store it through normalise_message_id)."""
    return f"<{uuid.uuid4().hex}@{domain.strip().lower()}>"


def references_chain(previous: Sequence[str], parent: str | None, limit: int = 20) -> list[str]:
    """The References of a reply (RFC 5322 3.6.4): the parent's References, then the parent's id.

    Normalised and without repeats; past ``limit`` ids the first (the thread's root,
    which clients thread on) and the most recent ``limit - 1`` are kept.
    """
    chain = _unique(normalise_message_id(item) for item in [*previous, parent or ""])
    if len(chain) <= limit:
        return chain
    return [chain[0], *chain[len(chain) - (limit - 1) :]] if limit > 1 else chain[:limit]


def build_email(
    *,
    subject: str,
    body: str,
    from_email: str,
    to: Sequence[str],
    message_id: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    cc: Sequence[str] = (),
    html: str | None = None,
    auto_submitted: Literal["auto-replied", "auto-generated"] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    extra_headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A Django message ready for ``send()``, with the threading headers mail clients need.

    ``auto_submitted`` is set on acknowledgements ("auto-replied") and notifications
    ("auto-generated") only: replies an agent wrote are not automatic, and the
    header would make the customer's client suppress its own replies to them.
    """
    headers = dict(extra_headers or {})
    headers["Message-ID"] = format_message_id(message_id)
    if in_reply_to:
        headers["In-Reply-To"] = format_message_id(in_reply_to)
    refs = _unique(normalise_message_id(item) for item in references)
    if refs:
        headers["References"] = " ".join(f"<{item}>" for item in refs)
    if auto_submitted:
        headers["Auto-Submitted"] = auto_submitted
        headers["X-Auto-Response-Suppress"] = "All"  # Exchange: no out-of-office answer to an automatic mail
    message_class = EmailMultiAlternatives if html else EmailMessage
    message = message_class(
        subject=subject,
        body=body,
        from_email=from_email,
        to=list(to),
        cc=list(cc),
        reply_to=list(reply_to),
        headers=headers,
    )
    if html and isinstance(message, EmailMultiAlternatives):
        message.attach_alternative(html, "text/html")
    for filename, content, content_type in attachments:
        message.attach(filename, content, content_type)
    return message
