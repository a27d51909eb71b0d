"""Email templates: saved sanitised, with a text part, and turned into the
parts a campaign sends (tracked links, the open pixel, an unsubscribe footer)."""

import html as html_lib
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.history import history_actor
from crm_project.text import html_to_text, sanitise_html

from .. import merge
from ..models import EmailTemplate

_HREF = re.compile(r'href="(https?://[^"]+)"', re.IGNORECASE)


def template_links(html: str) -> list[str]:
    """The template's http(s) links, in order, once each (the only click targets a campaign allows)."""
    return list(dict.fromkeys(html_lib.unescape(url) for url in _HREF.findall(html)))


def _clean(template: EmailTemplate) -> None:
    template.html = sanitise_html(template.html)
    if not template.text.strip():
        template.text = html_to_text(template.html, links=True)


@transaction.atomic
def template_create(*, name: str, subject: str, html: str, text: str = "", actor) -> EmailTemplate:
    template = EmailTemplate(name=name, subject=subject, html=html, text=text, created_by=actor)
    _clean(template)
    with history_actor(actor):
        template.save()
    return template


@transaction.atomic
def template_update(*, template: EmailTemplate, name: str, subject: str, html: str, text: str, actor) -> EmailTemplate:
    template.name, template.subject, template.html, template.text = name, subject, html, text
    _clean(template)
    with history_actor(actor):
        template.save()
    return template


# ------------------------------------------------------------------ sending


@dataclass(frozen=True)
class PreparedTemplate:
    """A template compiled once for a whole send; `render` fills it per recipient."""

    subject: tuple[merge.Part, ...]
    html: tuple[merge.Part, ...]
    text: tuple[merge.Part, ...]
    link_ids: tuple[int, ...]  # the CampaignLink id of each {{ link_<n> }}

    def render(self, context: dict[str, object]) -> tuple[str, str, str]:
        return (
            merge.render_parts(self.subject, context, html=False),
            merge.render_parts(self.html, context, html=True),
            merge.render_parts(self.text, context, html=False),
        )


def prepare(*, template: EmailTemplate, links: dict[str, int], tracking: bool = True) -> PreparedTemplate:
    """Compile subject, HTML and text; rewrite the stored links to `{{ link_<n> }}`
    (each recipient's signed click URL), add the open pixel, and an unsubscribe
    footer where the template has no unsubscribe link."""
    html, text = template.html, template.text or html_to_text(template.html, links=True)
    link_ids: list[int] = []
    if tracking:

        def rewrite(match: re.Match) -> str:
            link_id = links.get(html_lib.unescape(match.group(1)))
            if link_id is None:
                return match.group(0)
            link_ids.append(link_id)
            return f'href="{{{{ link_{len(link_ids) - 1} }}}}"'

        html = _HREF.sub(rewrite, html)
    if "unsubscribe_url" not in merge.fields_used(template.html):
        footer = _("Unsubscribe")
        html += f'\n<p style="font-size:12px;color:#6c757d"><a href="{{{{ unsubscribe_url }}}}">{footer}</a></p>'
    if "unsubscribe_url" not in merge.fields_used(text):
        text += "\n\n" + _("Unsubscribe: %(url)s") % {"url": "{{ unsubscribe_url }}"}
    if tracking:
        html += '\n<img src="{{ open_pixel_url }}" width="1" height="1" alt="">'
    return PreparedTemplate(
        subject=merge.compile_template(template.subject),
        html=merge.compile_template(html),
        text=merge.compile_template(text),
        link_ids=tuple(link_ids),
    )


def customer_context(*, customer, unsubscribe_url: str) -> dict[str, object]:
    """The merge fields of one customer (custom fields by key, then the built-in ones)."""
    return merge_context(
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        company=customer.company.name if customer.company_id else "",
        custom_data=customer.custom_data,
        unsubscribe_url=unsubscribe_url,
    )


def merge_context(
    *, first_name: str, last_name: str, email: str, company: str, custom_data, unsubscribe_url: str
) -> dict[str, object]:
    """The merge fields from a customer's values (a campaign batch reads values, not model instances)."""
    custom = {key: value for key, value in (custom_data or {}).items() if isinstance(value, str | int | float)}
    return {
        **custom,
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}".strip(),  # as Customer.full_name
        "email": email,
        "company": company,
        "unsubscribe_url": unsubscribe_url,
    }


def preview(*, template: EmailTemplate, customer) -> dict[str, str]:
    """Subject, HTML and text as `customer` would get them (links untracked, unsubscribe inert)."""
    if customer is None:
        return {}
    context = customer_context(customer=customer, unsubscribe_url="#unsubscribe")
    subject, html, text = prepare(template=template, links={}, tracking=False).render(context)
    return {"subject": subject, "html": html, "text": text}
