"""Customer and company pages, for every persona (owner, teammate, outsider, manager, agent)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm_project.fragments import bump_cache_version
from customers.models import Company, ConsentEvent, Customer, CustomField, Interaction
from customers.tests.factories import CompanyFactory, CustomerFactory, InteractionFactory, TagFactory


@pytest.fixture
def customer(owner, team):
    return CustomerFactory(owner=owner, team=team, first_name="Ada", last_name="Lovelace")


def detail_url(customer):
    return reverse("customers:customer-detail", args=[customer.pk])


# --- who sees what ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("owner", 200),
        ("teammate", 404),
        ("outsider", 404),
        ("manager", 200),
        ("agent", 200),
        ("admin_user", 200),
    ],
)
def test_the_customer_page_is_visible_only_within_scope(request, client_for, customer, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(detail_url(customer))
    assert response.status_code == status


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("owner", 200),
        ("teammate", 404),
        ("outsider", 404),
        ("manager", 200),
        ("agent", 403),
    ],
)
def test_editing_needs_write_access(request, client_for, customer, persona, status):
    response = client_for(request.getfixturevalue(persona)).get(reverse("customers:customer-edit", args=[customer.pk]))
    assert response.status_code == status


def test_the_list_shows_only_customers_in_scope(client_for, owner, outsider):
    CustomerFactory(owner=owner, last_name="Mine")
    CustomerFactory(owner=outsider, last_name="Theirs")
    response = client_for(owner).get(reverse("customers:customer-list"))
    shown = [row.record.last_name for row in response.context["table"].page.object_list]
    assert shown == ["Mine"]


def test_an_outsider_cannot_log_on_or_change_consent_of_another_reps_customer(client_for, outsider, customer):
    client = client_for(outsider)
    assert (
        client.post(
            reverse("customers:interaction-create", args=[customer.pk]), {"kind": "call", "summary": "sneaky"}
        ).status_code
        == 404
    )
    assert (
        client.post(reverse("customers:consent-update", args=[customer.pk]), {"status": "opted_in"}).status_code == 404
    )
    assert client.post(reverse("customers:customer-delete", args=[customer.pk])).status_code == 404
    assert not Interaction.objects.filter(summary="sneaky").exists()
    assert Customer.objects.filter(pk=customer.pk).exists()


# --- list: search, filters, query count ------------------------------------------------
def test_the_list_searches_and_filters(client_for, owner):
    vip = TagFactory(name="VIP")
    ada = CustomerFactory(owner=owner, first_name="Ada", last_name="Lovelace", country="GB", lifecycle_stage="customer")
    ada.tags.add(vip)
    CustomerFactory(owner=owner, first_name="Ada", last_name="Byron", country="GB", lifecycle_stage="lead")
    CustomerFactory(owner=owner, first_name="Grace", last_name="Hopper", country="US", lifecycle_stage="customer")
    client = client_for(owner)

    def shown(**params):
        response = client.get(reverse("customers:customer-list"), params)
        return sorted(row.record.last_name for row in response.context["table"].page.object_list)

    assert shown(q="ada") == ["Byron", "Lovelace"]
    assert shown(country="gb", lifecycle_stage="customer") == ["Lovelace"]
    assert shown(tag=vip.pk) == ["Lovelace"]


def test_the_list_filters_by_custom_fields(client_for, owner):
    CustomField.objects.create(label="Segment", key="segment", field_type="choice", choices="A\nB")
    CustomerFactory(owner=owner, last_name="Alpha", custom_data={"segment": "A"})
    CustomerFactory(owner=owner, last_name="Beta", custom_data={"segment": "B"})
    response = client_for(owner).get(reverse("customers:customer-list"), {"cf_segment": "B"})
    assert [row.record.last_name for row in response.context["table"].page.object_list] == ["Beta"]


def test_the_list_query_count_does_not_depend_on_the_page_size(
    client_for, owner, django_assert_num_queries, list_count_queries, drawn_after_a_write
):
    client = client_for(owner)
    acme = CompanyFactory()
    tag = TagFactory()
    for customer in CustomerFactory.create_batch(3, owner=owner, company=acme):
        customer.tags.add(tag)
    client.get(reverse("customers:customer-list"))  # warm the session
    bump_cache_version(Customer)  # a write: the list is drawn again, not taken from the cache
    # session, user, roles, the total (list_count_queries), page, tags, the page's lifetime values
    # (analytics' CLV column, read by id, not joined into the list query) (the custom fields, the
    # menus of the filter form and of the bulk-action form, the saved views and the teams to
    # share a view with come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(6 + list_count_queries):
        client.get(reverse("customers:customer-list"))
    for customer in CustomerFactory.create_batch(40, owner=owner, company=CompanyFactory()):
        customer.tags.add(tag)
    with django_assert_num_queries(6 + list_count_queries):
        response = client.get(reverse("customers:customer-list"))
    assert len(response.context["table"].page.object_list) == 25


def test_the_list_offers_each_role_only_the_bulk_actions_and_exports_it_may_use(
    client_for, owner, manager, agent, settings
):
    settings.CRM_CUSTOMER_BULK_ACTIONS = []  # the list's own actions (other apps' are tested there)
    CustomerFactory(owner=owner)

    def offered(user):
        response = client_for(user).get(reverse("customers:customer-list"))
        form = response.context["bulk_form"]
        return (
            [value for value, _label in form.fields["action"].choices] if form else [],
            reverse("customers:customer-export", args=["csv"]) in response.content.decode(),
            'name="ids"' in response.content.decode(),
        )

    assert offered(manager) == (["assign_owner", "add_tag", "export"], True, True)
    assert offered(owner) == (["add_tag", "export"], True, True)
    assert offered(agent) == ([], False, False)  # no bulk bar, no checkboxes, no export buttons


def test_each_active_filter_is_a_chip_whose_link_removes_only_it(client_for, owner):
    tag = TagFactory(name="VIP")
    params = {"tag": tag.pk, "lifecycle_stage": "customer", "country": "DE", "page": "2"}
    response = client_for(owner).get(reverse("customers:customer-list"), params)
    chips = {chip.label: chip for chip in response.context["filter_chips"]}
    assert {label: chip.value for label, chip in chips.items()} == {"Tag": "VIP", "Stage": "Customer", "Country": "DE"}
    remove_tag = chips["Tag"].remove_url
    assert remove_tag.startswith(reverse("customers:customer-list") + "?")
    assert "tag=" not in remove_tag and "page=" not in remove_tag
    assert "lifecycle_stage=customer" in remove_tag and "country=DE" in remove_tag
    assert client_for(owner).get(reverse("customers:customer-list")).context["filter_chips"] == []


def test_per_page_is_capped_so_no_list_is_one_unbounded_page(client_for, agent, settings):
    settings.CRM_PAGE_SIZE_MAX = 10
    CustomerFactory.create_batch(12)
    client = client_for(agent)
    capped = client.get(reverse("customers:customer-list"), {"per_page": 100000})
    assert len(capped.context["table"].page.object_list) == 10
    assert capped.context["table"].paginator.num_pages == 2
    smaller = client.get(reverse("customers:customer-list"), {"per_page": 5})
    assert len(smaller.context["table"].page.object_list) == 5


def test_the_list_escapes_html_in_names(client_for, owner):
    CustomerFactory(owner=owner, last_name="<script>alert(1)</script>")
    content = client_for(owner).get(reverse("customers:customer-list")).content.decode()
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


# --- create and edit ---------------------------------------------------------------------
def test_a_rep_creates_a_customer_with_a_new_company(client_for, owner, team):
    response = client_for(owner).post(
        reverse("customers:customer-create"),
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "company_name": "Navy Labs",
            "lifecycle_stage": "lead",
            "source": "referral",
            "country": "us",
        },
    )
    customer = Customer.objects.get(last_name="Hopper")
    assert response.status_code == 302 and response["Location"] == detail_url(customer)
    assert (customer.owner, customer.team, customer.company.name, customer.country) == (owner, team, "Navy Labs", "US")


def test_the_form_shows_field_errors(client_for, owner):
    response = client_for(owner).post(
        reverse("customers:customer-create"),
        {
            "last_name": "",
            "email": "nope",
            "country": "Germany",
            "lifecycle_stage": "lead",
            "source": "web",
        },
    )
    errors = response.context["form"].errors
    assert {"last_name", "email", "country"} <= set(errors)
    assert not Customer.objects.exists()


def test_creating_a_likely_duplicate_warns_with_a_link_until_confirmed(client_for, owner, customer):
    client = client_for(owner)
    data = {
        "first_name": "A.",
        "last_name": "L.",
        "email": customer.email.upper(),
        "lifecycle_stage": "lead",
        "source": "web",
    }
    response = client.post(reverse("customers:customer-create"), data)
    assert response.status_code == 200
    assert detail_url(customer) in response.content.decode()
    assert Customer.objects.count() == 1
    response = client.post(reverse("customers:customer-create"), {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_custom_fields_appear_on_the_form_and_are_saved(client_for, owner, customer):
    CustomField.objects.create(label="Contract end", key="contract_end", field_type="date")
    client = client_for(owner)
    edit_url = reverse("customers:customer-edit", args=[customer.pk])
    assert "Contract end" in client.get(edit_url).content.decode()
    client.post(
        edit_url,
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "lifecycle_stage": "lead",
            "source": "web",
            "cf_contract_end": "2027-03-31",
        },
    )
    customer.refresh_from_db()
    assert customer.custom_data == {"contract_end": "2027-03-31"}
    assert "2027-03-31" in client.get(detail_url(customer)).content.decode()


# --- the 360° page ------------------------------------------------------------------------
def test_logging_a_call_with_htmx_returns_the_entry_and_a_fresh_form(client_for, owner, customer):
    response = client_for(owner).post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": "Discussed renewal", "body": "Wants a quote"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert 'hx-swap-oob="afterbegin:#timeline-entries"' in content
    assert "Call: Discussed renewal" in content
    assert 'id="interaction-form"' in content
    assert Interaction.objects.get(customer=customer, kind="call").body == "Wants a quote"


def test_an_invalid_log_entry_shows_the_error_in_the_form(client_for, owner, customer):
    response = client_for(owner).post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": ""},
        headers={"HX-Request": "true"},
    )
    assert "This field is required." in response.content.decode()
    assert not Interaction.objects.filter(customer=customer, kind="call").exists()


def test_the_detail_page_query_count_is_fixed(client_for, owner, customer, django_assert_num_queries):
    client = client_for(owner)
    InteractionFactory.create_batch(5, customer=customer)
    client.get(detail_url(customer))
    # session, user, roles, customer, tags, timeline count, page and entries, consent log,
    # attachments; the sales panels: deals, orders, order totals; the RFM panel; the lifetime-value
    # panel; the support panel's counts (no ticket: nothing more); the marketing campaigns panel
    # (the custom fields come from the cache: crm_project/fragments.py)
    with django_assert_num_queries(17):
        client.get(detail_url(customer))
    InteractionFactory.create_batch(40, customer=customer)
    with django_assert_num_queries(17):
        response = client.get(detail_url(customer))
    assert len(response.context["timeline_page"].object_list) == 20


def test_older_timeline_entries_load_on_request(client_for, owner, customer):
    InteractionFactory.create_batch(25, customer=customer)
    response = client_for(owner).get(reverse("customers:customer-timeline", args=[customer.pk]), {"page": 2})
    assert response.content.decode().count("<li") == 5


def test_recording_consent_appends_to_the_log(client_for, owner, customer):
    client_for(owner).post(
        reverse("customers:consent-update", args=[customer.pk]), {"status": "opted_out", "note": "Asked on the phone"}
    )
    event = ConsentEvent.objects.get(customer=customer)
    assert (event.status, event.source, event.actor, event.note) == ("opted_out", "manual", owner, "Asked on the phone")


def test_only_managers_reassign(client_for, owner, teammate, manager, customer):
    url = reverse("customers:customer-reassign", args=[customer.pk])
    assert client_for(owner).post(url, {"owner": teammate.pk}).status_code == 403
    client_for(manager).post(url, {"owner": teammate.pk})
    customer.refresh_from_db()
    assert customer.owner == teammate


def test_deleting_asks_first_then_hides_the_customer(client_for, owner, customer):
    client = client_for(owner)
    url = reverse("customers:customer-delete", args=[customer.pk])
    assert "An administrator can restore it later." in client.get(url).content.decode()
    client.post(url)
    assert client.get(detail_url(customer)).status_code == 404
    assert Customer.all_objects.get(pk=customer.pk).deleted_at is not None


# --- attachments -------------------------------------------------------------------------
@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_attachments_upload_and_download_only_for_those_who_see_the_customer(
    client_for, owner, outsider, customer, media
):
    upload = SimpleUploadedFile("offer.pdf", b"%PDF offer", content_type="application/pdf")
    client_for(owner).post(reverse("customers:attachment-upload", args=[customer.pk]), {"file": upload})
    attachment = customer.attachments.get()
    url = reverse("customers:attachment-download", args=[attachment.pk])
    response = client_for(owner).get(url)
    assert b"".join(response.streaming_content) == b"%PDF offer"
    assert 'attachment; filename="offer.pdf"' in response["Content-Disposition"]
    assert client_for(outsider).get(url).status_code == 404


@pytest.mark.parametrize(
    ("name", "size", "message"),
    [
        ("script.exe", 10, "are not accepted"),
        ("big.pdf", 2048, "too large"),
    ],
)
def test_attachments_are_limited_by_type_and_size(client_for, owner, customer, media, settings, name, size, message):
    settings.CRM_ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile(name, b"x" * size)
    response = client_for(owner).post(
        reverse("customers:attachment-upload", args=[customer.pk]), {"file": upload}, follow=True
    )
    assert message in response.content.decode()
    assert not customer.attachments.exists()


# --- bulk actions --------------------------------------------------------------------------
def test_bulk_tagging_applies_only_to_customers_the_user_may_edit(client_for, owner, outsider):
    tag = TagFactory(name="Fair")
    mine = CustomerFactory(owner=owner)
    theirs = CustomerFactory(owner=outsider)
    client_for(owner).post(
        reverse("customers:customer-bulk"), {"action": "add_tag", "tag": tag.pk, "ids": [mine.pk, theirs.pk]}
    )
    assert list(Customer.objects.filter(tags=tag)) == [mine]


def test_bulk_assign_is_for_managers(client_for, owner, teammate, manager):
    customers = CustomerFactory.create_batch(2, owner=owner)
    ids = [c.pk for c in customers]
    refused = client_for(owner).post(
        reverse("customers:customer-bulk"), {"action": "assign_owner", "owner": teammate.pk, "ids": ids}, follow=True
    )
    assert "Select a valid choice" in refused.content.decode()  # a rep is not offered "Assign owner"
    assert Customer.objects.filter(owner=owner).count() == 2
    client_for(manager).post(
        reverse("customers:customer-bulk"), {"action": "assign_owner", "owner": teammate.pk, "ids": ids}
    )
    assert Customer.objects.filter(owner=teammate).count() == 2


def test_bulk_export_redirects_to_the_export_of_the_selection(client_for, owner):
    customers = CustomerFactory.create_batch(2, owner=owner)
    response = client_for(owner).post(
        reverse("customers:customer-bulk"), {"action": "export", "ids": [c.pk for c in customers]}
    )
    assert response["Location"].endswith(f"?ids={customers[0].pk},{customers[1].pk}")


def test_a_bulk_action_without_a_selection_explains_itself(client_for, owner):
    response = client_for(owner).post(reverse("customers:customer-bulk"), {"action": "add_tag"}, follow=True)
    assert "Select at least one customer." in response.content.decode()


# --- companies -----------------------------------------------------------------------------
def test_the_company_page_shows_its_people_and_their_timeline(client_for, owner):
    acme = CompanyFactory(name="Acme", owner=owner)
    person = CustomerFactory(owner=owner, company=acme, last_name="Worker")
    InteractionFactory(customer=person, company=acme, summary="Visited the plant")
    content = client_for(owner).get(reverse("customers:company-detail", args=[acme.pk])).content.decode()
    assert "Worker" in content
    assert "Visited the plant" in content


def test_companies_are_scoped_like_customers(client_for, owner, outsider):
    acme = CompanyFactory(owner=outsider)
    assert client_for(owner).get(reverse("customers:company-detail", args=[acme.pk])).status_code == 404


def test_a_rep_creates_a_company_and_the_domain_is_cleaned(client_for, owner):
    client_for(owner).post(reverse("customers:company-create"), {"name": "Acme", "domain": "https://www.Acme.com/"})
    company = Company.objects.get(name="Acme")
    assert (company.domain, company.owner) == ("acme.com", owner)


def test_company_suggestions_list_visible_companies(client_for, owner, outsider):
    CompanyFactory(name="Acme Mine", owner=owner)
    CompanyFactory(name="Acme Theirs", owner=outsider)
    content = client_for(owner).get(reverse("customers:company-suggest"), {"company_name": "acme"}).content.decode()
    assert "Acme Mine" in content and "Acme Theirs" not in content


def test_global_search_finds_customers(client_for, owner, customer):
    content = client_for(owner).get(reverse("search"), {"q": "lovelace"}).content.decode()
    assert detail_url(customer) in content


def test_editing_a_customer_records_what_changed_on_the_timeline(client_for, owner, customer):
    client_for(owner).post(
        reverse("customers:customer-edit", args=[customer.pk]),
        {
            "first_name": "Ada",
            "last_name": "King",
            "email": customer.email,
            "phone": customer.phone,
            "lifecycle_stage": customer.lifecycle_stage,
            "source": customer.source,
            "country": customer.country,
        },
    )
    entry = Interaction.objects.get(customer=customer, action="customer.updated")
    assert entry.data["fields"] == ["last_name"]
    assert entry.user == owner


def test_links_in_list_rows_are_not_boosted(client_for, owner, customer):
    content = client_for(owner).get(reverse("customers:customer-list")).content.decode()
    assert '<tbody hx-boost="false"' in content


def test_a_support_agent_logs_a_call_on_a_customer_but_cannot_edit_them(client_for, agent, customer):
    client = client_for(agent)
    page = client.get(detail_url(customer)).content.decode()
    assert 'id="interaction-form"' in page
    assert reverse("customers:customer-edit", args=[customer.pk]) not in page
    response = client.post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": "Asked about an invoice"},
    )
    assert response.status_code == 302
    entry = Interaction.objects.get(customer=customer, kind="call")
    assert (entry.summary, entry.user) == ("Asked about an invoice", agent)
    assert client.get(reverse("customers:customer-edit", args=[customer.pk])).status_code == 403
    assert (
        client.post(reverse("customers:consent-update", args=[customer.pk]), {"status": "opted_in"}).status_code == 403
    )


def test_times_are_shown_in_the_users_time_zone(client_for, owner, settings):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from accounts.models import User

    settings.TIME_ZONE = "UTC"
    customer = CustomerFactory(owner=owner)
    Interaction.objects.create(
        customer=customer,
        kind="note",
        summary="Late call",
        occurred_at=datetime(2026, 12, 6, 21, 30, tzinfo=ZoneInfo("UTC")),
    )
    User.objects.filter(pk=owner.pk).update(time_zone="Europe/Istanbul", language="en")
    content = client_for(owner).get(customer.get_absolute_url()).content.decode()
    assert "7 Dec 2026, 00:30" in content


def test_the_bulk_bar_and_the_filter_bar_name_their_fields_apart(client_for, manager):
    content = client_for(manager).get(reverse("customers:customer-list")).content.decode()
    assert content.count('id="id_tag"') == 1 and content.count('id="id_owner"') == 1  # the filters
    assert 'id="bulk_tag"' in content and 'for="bulk_tag"' in content


def test_logging_a_call_from_another_page_returns_there_with_next(client_for, owner, customer):
    response = client_for(owner).post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": "Called back", "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert Interaction.objects.filter(customer=customer, kind="call", summary="Called back").exists()


def test_logging_a_call_never_returns_to_another_site(client_for, owner, customer):
    response = client_for(owner).post(
        reverse("customers:interaction-create", args=[customer.pk]),
        {"kind": "call", "summary": "Called back", "next": "//evil.example/"},
    )
    assert response["Location"] == detail_url(customer)


def test_the_list_shows_each_customers_tags_as_badges_by_name(client_for, owner):
    tagged = CustomerFactory(owner=owner, last_name="Tagged")
    tagged.tags.add(TagFactory(name="Zeta", color="#111111"), TagFactory(name="Alpha", color="#222222"))
    CustomerFactory(owner=owner, last_name="Plain").tags.add(TagFactory(name="Other", color="#333333"))
    response = client_for(owner).get(reverse("customers:customer-list"))
    rows = {row.record.last_name: row.get_cell("tags") for row in response.context["table"].page.object_list}
    assert rows["Tagged"] == (
        '<span class="badge rounded-pill me-1" style="background-color: #222222">Alpha</span>'
        '<span class="badge rounded-pill me-1" style="background-color: #111111">Zeta</span>'
    )
    assert "Alpha" not in rows["Plain"] and "Other" in rows["Plain"]
