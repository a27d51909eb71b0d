"""A locked-down merge engine for email templates.

Only `{{ field }}` and `{{ field|default:"…" }}`: no tags, no attribute access,
no filters but `default`, and only the fields of `BUILTIN_FIELDS` plus the keys
of the customer custom fields. Values are HTML-escaped in HTML and left as they
are in text. A template is compiled once (one regex split, cached) and rendered
per recipient by joining its parts, so 100k recipients cost 100k joins.
"""

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from django.utils.translation import gettext as _

# The fields every template may use (custom field keys are added at validation).
BUILTIN_FIELDS = ("first_name", "last_name", "full_name", "email", "company", "unsubscribe_url")

_EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_FIELD = re.compile(r'^\s*([a-z][a-z0-9_]*)\s*(?:\|\s*default\s*:\s*"([^"{}]*)"\s*)?$')
_TAG_OR_COMMENT = re.compile(r"\{%|%\}|\{#|#\}")


@dataclass(frozen=True)
class Field:
    name: str
    default: str = ""


Part = str | Field


class MergeError(ValueError):
    pass


def validate(text: str, *, fields: Iterable[str] | None = None) -> list[str]:
    """What is wrong with `text` as a template, as messages for a form; [] when it is fine."""
    allowed = set(BUILTIN_FIELDS if fields is None else fields)
    errors = []
    if _TAG_OR_COMMENT.search(text):
        errors.append(_("Only merge fields like {{ first_name }} are allowed; tags ({% … %}) and comments are not."))
    for expression in _EXPRESSION.findall(text):
        match = _FIELD.match(expression)
        if match is None:
            errors.append(
                _('"{{%(expression)s}}" is not a merge field: write {{ field }} or {{ field|default:"text" }}.')
                % {"expression": expression}
            )
        elif match.group(1) not in allowed:
            errors.append(_('Unknown merge field "%(field)s".') % {"field": match.group(1)})
    stray = _EXPRESSION.sub("", text)
    if "{{" in stray or "}}" in stray:
        errors.append(_("A merge field is not closed: each {{ needs its }}."))
    return errors


@functools.lru_cache(maxsize=64)
def compile_template(text: str) -> tuple[Part, ...]:
    """Literal strings and fields, in order. Raises MergeError on a bad template
    (templates are validated when saved; this guards the send path too)."""
    if _TAG_OR_COMMENT.search(text):
        raise MergeError("tags are not allowed")
    pieces = _EXPRESSION.split(text)
    parts: list[Part] = []
    for index, piece in enumerate(pieces):
        if index % 2 == 0:
            if piece:
                parts.append(piece)
            continue
        match = _FIELD.match(piece)
        if match is None:
            raise MergeError(f"not a merge field: {{{{{piece}}}}}")
        parts.append(Field(name=match.group(1), default=match.group(2) or ""))
    return tuple(parts)


def render(text: str, context: dict[str, object], *, html: bool) -> str:
    """`text` with its fields filled from `context` (a missing or empty value takes the default)."""
    return render_parts(compile_template(text), context, html=html)


def render_parts(parts: tuple[Part, ...], context: dict[str, object], *, html: bool) -> str:
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = context.get(part.name)
        value = part.default if value is None or value == "" else str(value)
        out.append(escape(value, quote=True) if html else value)
    return "".join(out)


def fields_used(text: str) -> set[str]:
    return {part.name for part in compile_template(text) if isinstance(part, Field)}
