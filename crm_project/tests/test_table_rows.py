"""`{% table_rows %}` puts in every cell what django-tables2's own template loop puts there."""

import itertools
import re

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from crm_project.templatetags.crm_tags import _card_role, card_fields, table_head, table_rows
from customers.tests.factories import CompanyFactory, CustomerFactory, TagFactory
from jobs.tests.factories import JobRunFactory
from sales.tests.factories import DealFactory, LeadFactory, OrderFactory, ProductFactory, TaskFactory

pytestmark = pytest.mark.django_db

# django-tables2's bootstrap template writes each cell like this.
CELL = Template(
    "{% load l10n %}{% if localize == None %}{{ cell }}{% elif localize %}{{ cell|localize }}"
    "{% else %}{{ cell|unlocalize }}{% endif %}"
)


def django_tables2_rows(table, card: list[str]) -> str:
    rows = []
    for row in table.paginated_rows:
        cells = []
        for column, cell in row.items():
            td = column.attrs.get("td", {})
            opening = f"<td {td.as_html() if td else ''}{_card_role(column, card)}>"
            cells.append(opening + CELL.render(Context({"cell": cell, "localize": column.localize})) + "</td>")
        rows.append(f"<tr {row.attrs.as_html()}>{''.join(cells)}</tr>")
    return "\n".join(rows)


def both(table) -> tuple[str, str]:
    card = card_fields(table)
    table._counter = itertools.count()
    ours = table_rows(table, card)
    table._counter = itertools.count()
    return str(ours), django_tables2_rows(table, card)


@pytest.fixture
def every_list(admin_user, owner):
    acme = CompanyFactory(name="Acme & <Sons>", owner=owner)
    vip = TagFactory(name="VIP")
    CustomerFactory(owner=owner, company=acme, email="", job_title="Buyer", lifecycle_stage="lead").tags.add(vip)
    CustomerFactory(owner=None, company=None, first_name="<Ada>", lifecycle_stage="churned")
    DealFactory(owner=owner)
    DealFactory(owner=None)
    LeadFactory(owner=owner)
    TaskFactory(owner=admin_user)
    ProductFactory()
    OrderFactory()
    JobRunFactory()
    return [
        reverse("customers:customer-list"),
        reverse("customers:company-list"),
        reverse("sales:deal-list"),
        reverse("sales:lead-list"),
        reverse("sales:task-list"),
        reverse("sales:order-list"),
        reverse("sales:product-list"),
        reverse("jobs:list"),
    ]


@pytest.mark.parametrize("language", ["en", "tr"])
def test_every_lists_rows_hold_what_django_tables2_would_put_in_them(client_for, admin_user, every_list, language):
    client = client_for(admin_user)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    for url in every_list:
        response = client.get(url)
        with translation.override(language):
            ours, theirs = both(response.context["table"])
        assert ours == theirs, url
        assert ours.count("<tr") == len(response.context["table"].page.object_list) > 0, url


def test_every_lists_rows_alternate_even_and_odd_from_the_first(client_for, admin_user, every_list):
    client = client_for(admin_user)
    for url in every_list:
        html = table_rows(client.get(url).context["table"], [])
        parities = re.findall(r'<tr [^>]*class="[^"]*\b(even|odd)\b', html)
        assert parities == ["even", "odd"] * (len(parities) // 2) + ["even"] * (len(parities) % 2), url


# partials/table.html's header loop before {% table_head %}.
HEAD = Template(
    "{% load django_tables2 %}{% for column in table.columns %}"
    '<th {{ column.attrs.th.as_html }} scope="col"{% if column.name not in card or not column.orderable %}'
    ' data-card="hide"{% endif %}>{% if column.orderable %}<a href="{% querystring_replace '
    'table.prefixed_order_by_field=column.order_by_alias.next %}">{{ column.header }}</a>'
    "{% else %}{{ column.header }}{% endif %}</th>{% endfor %}"
)


def test_every_lists_header_links_sort_as_django_tables2s_would(client_for, admin_user, every_list):
    client = client_for(admin_user)
    for url in every_list:
        response = client.get(url, {"q": "a&b", "sort": "-created_at", "page": "1"})
        table = response.context["table"]
        card = card_fields(table)
        context = Context({"request": response.wsgi_request, "table": table, "card": card})
        ours = table_head(context, table, card)
        assert re.sub(r">\s+<", "><", ours) == HEAD.render(context), url


# --- the pagination under a list's table ------------------------------------------------------
PARTIAL = Template('{% include "partials/pagination.html" with page=page %}')


def _tags_apart(html: str) -> str:
    return re.sub(r">\s+<", "><", " ".join(html.split()))


@pytest.mark.parametrize("language", ["en", "tr"])
@pytest.mark.parametrize("number", [1, 2, 6, 20, 40])
def test_the_lists_pagination_is_the_pagination_partials_html(rf, language, number):
    from django.core.paginator import Paginator

    from crm_project.templatetags.crm_tags import list_pagination

    request = rf.get("/customers/", {"q": "a&b", "page": number, "sort": "-name"})
    page = Paginator(range(1000), 25).page(number)
    with translation.override(language):
        theirs = PARTIAL.render(Context({"page": page, "request": request}))
        ours = list_pagination(Context({"request": request}), page)
    assert _tags_apart(ours) == _tags_apart(theirs)
    assert 'aria-current="page"' in ours


def test_a_single_page_list_shows_no_pagination(rf):
    from django.core.paginator import Paginator

    from crm_project.templatetags.crm_tags import list_pagination

    page = Paginator(range(10), 25).page(1)
    assert list_pagination(Context({"request": rf.get("/")}), page) == ""
