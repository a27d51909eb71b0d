"""The lists' paginator (crm_project.lists.ListPaginator): exact counts for small
sets, the planner's estimate for large ones on PostgreSQL, and deferred-join or
id-list pages that hold the same rows as plain OFFSET paging."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm_project.lists import ListPaginator, scope_branches
from customers.models import Customer
from customers.selectors.customers import customer_search
from customers.tests.factories import CustomerFactory, TagFactory

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate is PostgreSQL's")


def _people(count: int) -> None:
    """Customers with many equal names: pages must break the ties the same way every time."""
    for n in range(count):
        CustomerFactory(first_name=["Ada", "Alan"][n % 2], last_name=["Kaya", "Smith", "Yilmaz"][n % 3])


def _analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE customers_customer")


def _pages(paginator: ListPaginator, pages: int) -> list[list[int]]:
    return [[customer.pk for customer in paginator.page(number).object_list] for number in range(1, pages + 1)]


def _offset_pages(queryset, per_page: int, pages: int) -> list[list[int]]:
    ordered = queryset.order_by("last_name", "first_name", "pk")
    return [
        list(ordered.values_list("pk", flat=True)[(number - 1) * per_page : number * per_page])
        for number in range(1, pages + 1)
    ]


@pytest.mark.django_db
def test_a_list_filtered_to_nothing_pages_without_an_error():
    paginator = ListPaginator(Customer.objects.none().order_by("last_name"), 3)
    assert (paginator.count, paginator.count_is_exact) == (0, True)
    assert len(paginator.page(1)) == 0


@pytest.mark.django_db
def test_a_list_under_the_threshold_counts_exactly():
    _people(7)
    paginator = ListPaginator(Customer.objects.order_by("last_name"), 3)
    assert (paginator.count, paginator.count_is_exact, paginator.count_label) == (7, True, "7")
    assert paginator.num_pages == 3
    assert list(paginator.get_elided_page_range(1)) == [1, 2, 3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("exact_count", "sort_all_max"),
    [
        (10_000, 50_000),  # exact: a count (SQLite) or the sorted ids (PostgreSQL)
        (4, 1_000),  # PostgreSQL: "4+", pages from the ids, then a whole-set sort
        (4, 4),  # PostgreSQL: the estimate, deferred join along the index
    ],
)
def test_pages_hold_the_same_rows_as_offset_paging(settings, exact_count, sort_all_max):
    settings.CRM_LIST_EXACT_COUNT = exact_count
    settings.CRM_LIST_SORT_ALL_MAX = sort_all_max
    _people(23)
    _analyze()
    queryset = Customer.objects.select_related("company").prefetch_related("tags").order_by("last_name", "first_name")
    paginator = ListPaginator(queryset, 5)
    pages = _pages(paginator, 5)
    assert pages == _offset_pages(Customer.objects.all(), 5, 5)
    assert sorted(pk for page in pages for pk in page) == sorted(Customer.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_pages_of_a_search_hold_the_same_rows_as_offset_paging(settings):
    settings.CRM_LIST_EXACT_COUNT = 4
    _people(23)
    _analyze()
    matches = customer_search(Customer.objects.all(), "smit")
    paginator = ListPaginator(matches.order_by("last_name", "first_name"), 3)
    assert _pages(paginator, 3) == _offset_pages(matches, 3, 3)


@on_postgresql
@pytest.mark.django_db
def test_over_the_threshold_postgresql_shows_the_planners_estimate_and_no_last_page(settings):
    settings.CRM_LIST_EXACT_COUNT = 5
    settings.CRM_LIST_SORT_ALL_MAX = 5
    _people(40)
    _analyze()
    paginator = ListPaginator(Customer.objects.order_by("last_name", "first_name"), 10)
    assert not paginator.count_is_exact
    assert paginator.count_label == "about 40"
    page = paginator.page(2)
    assert page.has_next() and page.has_previous()
    assert list(paginator.get_elided_page_range(2)) == [1, 2, 3, paginator.ELLIPSIS]
    last = paginator.page(4)
    assert len(last) == 10 and not last.has_next()


@on_postgresql
@pytest.mark.django_db
def test_a_set_larger_than_the_threshold_but_small_reads_as_threshold_plus(settings):
    settings.CRM_LIST_EXACT_COUNT = 5
    settings.CRM_LIST_SORT_ALL_MAX = 1_000
    _people(12)
    _analyze()
    paginator = ListPaginator(Customer.objects.order_by("last_name"), 5)
    assert (paginator.count_is_exact, paginator.count_label) == (False, "5+")
    assert [len(paginator.page(number)) for number in (1, 2, 3, 4)] == [5, 5, 2, 0]


@on_postgresql
@pytest.mark.django_db
def test_a_page_past_an_estimate_is_empty_not_an_error(client_for, admin_user, settings):
    settings.CRM_LIST_EXACT_COUNT = 5
    settings.CRM_LIST_SORT_ALL_MAX = 5
    _people(30)
    _analyze()
    response = client_for(admin_user).get(reverse("customers:customer-list"), {"page": 9999})
    assert response.status_code == 200
    assert len(response.context["table"].page) == 0
    assert "Nothing matches these filters." in response.content.decode()


@on_postgresql
@pytest.mark.django_db
def test_the_list_says_about_how_many_when_it_estimates(client_for, admin_user, settings):
    settings.CRM_LIST_EXACT_COUNT = 5
    settings.CRM_LIST_SORT_ALL_MAX = 5
    _people(30)
    _analyze()
    response = client_for(admin_user).get(reverse("customers:customer-list"))
    assert "1–25 of about 30" in response.content.decode()


@pytest.mark.django_db
def test_the_list_shows_the_exact_total_when_it_counts(client_for, admin_user):
    _people(30)
    response = client_for(admin_user).get(reverse("customers:customer-list"))
    assert "1–25 of 30" in response.content.decode()


@pytest.mark.django_db
def test_a_searched_list_shows_the_customers_the_search_matches(client_for, admin_user, settings):
    settings.CRM_LIST_EXACT_COUNT = 4
    _people(12)
    _analyze()
    response = client_for(admin_user).get(reverse("customers:customer-list"), {"q": "smith", "per_page": 100})
    shown = {row.record.pk for row in response.context["table"].page.object_list}
    assert shown == set(Customer.objects.filter(last_name="Smith").values_list("pk", flat=True))


@pytest.mark.django_db
def test_the_name_cell_shows_the_name_and_one_secondary_line(client_for, admin_user):
    CustomerFactory(first_name="Ada", last_name="Kaya", email="ada@example.com", job_title="Buyer")
    html = client_for(admin_user).get(reverse("customers:customer-list")).content.decode()
    assert "Ada Kaya</a>" in html
    assert ">ada@example.com</div>" in html
    assert "Buyer" not in html  # one secondary line: the email when there is one


def _scoped_people(manager, team, outsider, count: int) -> None:
    """A manager's scope of both kinds, overlapping: their own customers, their
    team's, both at once, and customers they may not see."""
    for n in range(count):
        kind = n % 4
        CustomerFactory(
            first_name=["Ada", "Alan"][n % 2],
            last_name=["Kaya", "Smith", "Yilmaz"][n % 3],
            owner=manager if kind in (0, 2) else outsider,
            team=team if kind in (1, 2) else None,
        )


@pytest.mark.django_db
def test_the_scopes_branches_together_hold_exactly_the_visible_customers(manager, team, outsider):
    _scoped_people(manager, team, outsider, 16)
    visible = Customer.objects.visible_to(manager)
    branches = scope_branches(visible)
    assert branches is not None and len(branches) == 2
    in_branches = {pk for branch in branches for pk in branch.values_list("pk", flat=True)}
    assert in_branches == set(visible.values_list("pk", flat=True))
    assert in_branches == set(Customer.objects.filter(Q(owner=manager) | Q(team=team)).values_list("pk", flat=True))
    assert scope_branches(Customer.objects.visible_to(outsider)) is None  # one branch: their own


@on_postgresql
@pytest.mark.django_db
@pytest.mark.parametrize("ordering", [("last_name", "first_name"), ("-last_name", "-first_name")])
def test_a_scope_paged_branch_by_branch_holds_the_same_rows_as_offset_paging(
    settings, manager, team, outsider, ordering
):
    settings.CRM_LIST_SORT_WHOLE_MAX = 0  # the branches, however small the scope
    _scoped_people(manager, team, outsider, 30)
    _analyze()
    visible = Customer.objects.visible_to(manager)
    paginator = ListPaginator(visible.order_by(*ordering), 4)
    assert (paginator.count, paginator.count_is_exact) == (visible.count(), True)  # customers in both count once
    assert paginator._branches is not None
    numbers = range(1, paginator.num_pages + 1)
    # The primary key ends the order, in the direction of the name (a backwards list is its index backwards).
    offset = visible.order_by(*ordering, "-pk" if ordering[-1].startswith("-") else "pk").values_list("pk", flat=True)
    assert _pages(paginator, len(numbers)) == [list(offset[(number - 1) * 4 : number * 4]) for number in numbers]


@on_postgresql
@pytest.mark.django_db
def test_a_scope_with_a_branch_over_the_threshold_reads_as_threshold_plus(settings, manager, team, outsider):
    settings.CRM_LIST_SORT_WHOLE_MAX = 0
    settings.CRM_LIST_EXACT_COUNT = 5
    _scoped_people(manager, team, outsider, 30)
    _analyze()
    paginator = ListPaginator(Customer.objects.visible_to(manager).order_by("last_name", "first_name"), 5)
    assert (paginator.count_is_exact, paginator.count_label) == (False, "5+")
    assert [len(paginator.page(number)) for number in (1, 5, 6)] == [5, 3, 0]  # 23 visible


@pytest.mark.django_db
@pytest.mark.parametrize("exact_count", [1000, 2])  # counted and sorted whole; estimated and deferred
def test_a_list_sorted_backwards_reads_its_ties_backwards_too(settings, exact_count):
    """The primary key ends the order in the direction of the name: page 2 of a name sorted
    backwards is the index read backwards, not resorted."""
    settings.CRM_LIST_EXACT_COUNT = settings.CRM_LIST_SORT_ALL_MAX = exact_count
    _people(12)
    _analyze()
    paginator = ListPaginator(Customer.objects.order_by("-last_name", "-first_name"), 4)
    backwards = list(Customer.objects.order_by("last_name", "first_name", "pk").values_list("pk", flat=True))[::-1]
    assert _pages(paginator, 3) == [backwards[0:4], backwards[4:8], backwards[8:12]]


@on_postgresql
@pytest.mark.django_db
def test_a_deep_page_sorted_backwards_is_read_from_an_index_without_sorting_its_ties(settings):
    settings.CRM_LIST_EXACT_COUNT = settings.CRM_LIST_SORT_ALL_MAX = 2
    _people(12)
    _analyze()
    paginator = ListPaginator(Customer.objects.order_by("-last_name", "-first_name"), 4)
    with CaptureQueriesContext(connection) as captured:
        paginator.page(2)
    [ids] = [query["sql"] for query in captured.captured_queries if "OFFSET" in query["sql"]]
    with connection.cursor() as cursor:
        # Twelve rows: the planner would rather read the table and sort; without those choices
        # it sorts only if no index gives the order.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort", "enable_incremental_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + ids)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan Backward" in plan
    assert "Sort" not in plan


@on_postgresql
@pytest.mark.django_db
def test_a_small_sets_page_reads_its_rows_by_id_without_applying_the_filters_again():
    """The filters picked the ids in this request; applied again, the planner may read the rows
    through them (a manager's orders: 20,000 visible customers probed to find 25 orders)."""
    _people(12)
    _analyze()
    paginator = ListPaginator(Customer.objects.filter(last_name="Smith").order_by("last_name", "first_name"), 3)
    with CaptureQueriesContext(connection) as captured:
        rows = paginator.page(1).object_list
    by_id = [query["sql"] for query in captured.captured_queries if '"customers_customer"."id" IN (' in query["sql"]]
    [where] = [sql.split(" WHERE ", 1)[1] for sql in by_id]
    assert "Smith" not in where and "deleted_at" not in where
    assert [row.last_name for row in rows] == ["Smith"] * 3


@on_postgresql
@pytest.mark.django_db
def test_a_page_filtered_through_a_many_valued_join_reads_its_rows_with_the_filter():
    """A filter on tags joins each tag: without its WHERE the rows' query would read every tag of
    every customer on the page, a row each. With it, the page still has each customer once."""
    for customer in CustomerFactory.create_batch(4):
        customer.tags.add(TagFactory(name="vip"), TagFactory(name="gold"), TagFactory(name="new"))
    _analyze()
    joined = Customer.objects.filter(tags__name="vip").order_by("last_name", "first_name")
    with CaptureQueriesContext(connection) as captured:
        rows = ListPaginator(joined, 3).page(1).object_list
    [where] = [
        query["sql"].split(" WHERE ", 1)[1]
        for query in captured.captured_queries
        if '"customers_customer"."id" IN (' in query["sql"]
    ]
    assert "vip" in where
    assert len({row.pk for row in rows}) == len(rows) == 3
