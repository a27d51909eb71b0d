"""Cached fragments (crm_project/fragments.py): the filter bars' menus come from the
cache, and every write to the rows they show makes the next page show the new rows."""

import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import Team, User
from accounts.tests.factories import UserFactory
from crm_project.fragments import (
    CSRF_PLACEHOLDER,
    VERSION_KEY,
    bump_cache_version,
    cache_model_choices,
    cache_versions,
    cached_fragment,
    version_name,
)
from customers.models import Interaction, Tag
from customers.tests.factories import InteractionFactory, TagFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")


class _Menus(HTMLParser):
    def __init__(self):
        super().__init__()
        self.menus: dict[str, list[str]] = {}
        self.current: list[str] | None = None
        self.in_option = False

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.current = self.menus.setdefault(dict(attrs).get("id") or "", [])
        elif tag == "option" and self.current is not None:
            self.in_option = True
            self.current.append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self.current = None
        elif tag == "option":
            self.in_option = False

    def handle_data(self, data):
        if self.in_option and self.current is not None:
            self.current[-1] += data


def menu(response, element_id: str) -> list[str]:
    """The labels of the select with this id: `id_tag` in the filter bar, `bulk_tag` in the bulk form."""
    parser = _Menus()
    parser.feed(response.content.decode())
    return parser.menus[element_id]


def names(labels: list[str]) -> set[str]:
    return {word for label in labels for word in label.split()}


def queries_on(table: str, captured) -> int:
    return sum(f'"{table}"' in query["sql"] for query in captured.captured_queries)


def test_the_filter_bar_menus_are_read_once_and_then_come_from_the_cache(client_for, manager):
    TagFactory(name="VIP")
    client = client_for(manager)
    with CaptureQueriesContext(connection) as first:
        client.get(LIST)
    with CaptureQueriesContext(connection) as second:
        response = client.get(LIST)
    assert queries_on("customers_tag", first) == 2  # the filter bar's menu and the bulk form's
    assert queries_on("customers_tag", second) == 0
    assert "VIP" in menu(response, "id_tag")
    assert "VIP" in menu(response, "bulk_tag")


def test_renaming_a_tag_shows_the_new_name_in_the_filter_bar_at_once(client_for, manager):
    tag = TagFactory(name="VIP")
    client = client_for(manager)
    assert "VIP" in menu(client.get(LIST), "id_tag")
    tag.name = "Gold"
    tag.save()
    response = client.get(LIST)
    assert menu(response, "id_tag") == ["---------", "Gold"]
    assert menu(response, "bulk_tag") == ["---------", "Gold"]


def test_a_deleted_tag_leaves_the_filter_bar_at_once(client_for, manager):
    TagFactory(name="Gold")
    old = TagFactory(name="Old")
    client = client_for(manager)
    assert "Old" in menu(client.get(LIST), "id_tag")
    old.delete()
    assert menu(client.get(LIST), "id_tag") == ["---------", "Gold"]


def test_tags_made_in_bulk_show_once_their_writer_bumps_the_version(client_for, manager):
    client = client_for(manager)
    client.get(LIST)
    Tag.objects.bulk_create([Tag(name="Imported")])  # set-based: no signal
    bump_cache_version(Tag)
    assert "Imported" in menu(client.get(LIST), "id_tag")


def test_a_user_who_becomes_a_sales_rep_is_offered_as_owner_in_the_bulk_form_at_once(client_for, manager):
    newcomer = UserFactory(username="nina", first_name="Nina")
    client = client_for(manager)
    assert "Nina" not in names(menu(client.get(LIST), "bulk_owner"))
    newcomer.groups.add(Group.objects.get(name=roles.SALES_REP))
    assert "Nina" in names(menu(client.get(LIST), "bulk_owner"))


def test_a_deactivated_user_leaves_the_owner_menus_at_once(client_for, manager, owner):
    client = client_for(manager)
    assert "Olivia" in names(menu(client.get(LIST), "id_owner"))
    owner.is_active = False
    owner.save()
    response = client.get(LIST)
    assert "Olivia" not in names(menu(response, "id_owner"))
    assert "Olivia" not in names(menu(response, "bulk_owner"))


def test_a_renamed_team_shows_its_new_name_at_once(client_for, manager, team):
    client = client_for(manager)
    assert "North" in menu(client.get(LIST), "id_team")
    Team.objects.filter(pk=team.pk).update(name="Nord")  # set-based: its writer bumps
    bump_cache_version(Team)
    assert "Nord" in menu(client.get(LIST), "id_team")


def test_logging_in_does_not_make_the_menus_stale(client, manager):
    client.force_login(manager)
    client.get(LIST)
    before = cache_versions([version_name(User)])
    client.force_login(manager)  # saves last_login only
    assert cache_versions([version_name(User)]) == before


def test_the_menus_follow_the_language(client_for, manager):
    client = client_for(manager)
    assert "Champions" in menu(client.get(LIST), "id_rfm_segment")  # the default segments' names are translated
    client.post(reverse("set_language"), {"language": "tr", "next": "/"})
    assert "Şampiyonlar" in menu(client.get(LIST), "id_rfm_segment")


def test_a_cached_menu_does_not_widen_what_the_filter_accepts(client_for, manager, owner):
    client = client_for(manager)
    client.get(LIST)  # the owner menu, with Olivia, is cached
    User.objects.filter(pk=owner.pk).update(is_active=False)  # no bump: the menu is stale on purpose
    response = client.get(LIST, {"owner": owner.pk})
    assert "owner" in response.context["filter"].form.errors


class InteractionMenuForm(forms.Form):
    interaction = forms.ModelChoiceField(queryset=Interaction.objects.order_by("pk"))


def test_a_menu_of_rows_nobody_watches_is_not_cached(owner):
    InteractionFactory(customer__owner=owner, summary="First call")
    cache_model_choices(InteractionMenuForm())
    with CaptureQueriesContext(connection) as captured:
        form = cache_model_choices(InteractionMenuForm())
        labels = [label for _value, label in form.fields["interaction"].choices]
    assert queries_on("customers_interaction", captured) == 1
    assert labels[0] == "---------"
    assert len(labels) == 2


def test_a_version_the_cache_lost_starts_again_at_a_number_never_used(manager):
    name = version_name(Tag)
    first = cache_versions([name])[name]
    cache.delete(VERSION_KEY.format(name))
    assert cache_versions([name])[name] != first


def test_many_writes_in_one_transaction_move_the_version_once_more_at_its_commit(django_capture_on_commit_callbacks):
    name = version_name(Tag)
    start = cache_versions([name])[name]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for number in range(3):
            TagFactory(name=f"Fresh {number}")
        assert cache_versions([name])[name] == start + 3
    assert len(callbacks) == 1
    assert cache_versions([name])[name] == start + 4


def test_a_write_moves_the_version_again_when_its_transaction_commits(django_capture_on_commit_callbacks):
    name = version_name(Tag)
    start = cache_versions([name])[name]
    with django_capture_on_commit_callbacks(execute=True):
        TagFactory(name="Fresh")
        assert cache_versions([name])[name] == start + 1
    assert cache_versions([name])[name] == start + 2


# --- cached rows: saved views, teams to share with, custom fields ------------------------------
def view_names(response) -> list[str]:
    return [view.name for view in response.context["saved_views"]]


def test_a_saved_view_shows_in_the_views_menu_at_once(client_for, owner):
    from accounts import services

    client = client_for(owner)
    assert view_names(client.get(LIST)) == []
    services.saved_view_create(actor=owner, list_key="customers:customer-list", name="VIPs", query="", columns=None)
    assert view_names(client.get(LIST)) == ["VIPs"]


def test_joining_a_team_shows_its_shared_views_at_once_and_leaving_hides_them(client_for, teammate, outsider, team):
    from accounts import services

    services.saved_view_create(
        actor=teammate, list_key="customers:customer-list", name="Shared", query="", columns=None, team=team
    )
    client = client_for(outsider)
    assert view_names(client.get(LIST)) == []
    team.members.add(outsider)
    response = client.get(LIST)
    assert view_names(response) == ["Shared"]
    assert [str(shared) for shared in response.context["saved_view_teams"]] == ["North", "South"]
    team.members.remove(outsider)
    assert view_names(client.get(LIST)) == []


def test_one_users_cached_views_are_never_anothers(client_for, owner, teammate):
    from accounts import services

    services.saved_view_create(actor=owner, list_key="customers:customer-list", name="Mine", query="", columns=None)
    assert view_names(client_for(owner).get(LIST)) == ["Mine"]
    assert view_names(client_for(teammate).get(LIST)) == []


def test_a_deactivated_custom_field_leaves_the_filter_bar_at_once(client_for, owner):
    from customers.models import CustomField

    field = CustomField.objects.create(label="Segment", key="segment", field_type=CustomField.Type.TEXT)
    client = client_for(owner)
    assert "cf_segment" in client.get(LIST).context["filter"].filters
    field.is_active = False
    field.save()
    assert "cf_segment" not in client.get(LIST).context["filter"].filters


def test_tags_an_import_creates_show_in_the_filter_bar_at_once(client_for, manager, settings, tmp_path):
    from customers.services import imports

    settings.MEDIA_ROOT = tmp_path
    client = client_for(manager)
    assert "Imported" not in menu(client.get(LIST), "id_tag")
    data = b"First name,Last name,E-mail,Tags\nAda,Lovelace,ada@example.com,Imported\n"
    table = imports.import_table_read(data=data, filename="people.csv")
    imports.customers_import(table=table, mapping=imports.import_mapping_guess(table.headers, []), actor=manager)
    assert "Imported" in menu(client.get(LIST), "id_tag")


def test_a_rename_by_another_process_shows_on_the_next_request_though_this_one_kept_the_menu(client_for, manager):
    tag = TagFactory(name="VIP")
    client = client_for(manager)
    assert "VIP" in menu(client.get(LIST), "id_tag")
    # Another process: its write and its bump reach the database and the cache, not this process.
    Tag.objects.filter(pk=tag.pk).update(name="Gold")
    cache.incr(VERSION_KEY.format(version_name(Tag)))
    assert menu(client.get(LIST), "id_tag") == ["---------", "Gold"]


def test_a_warm_list_page_asks_the_cache_once(client_for, manager, monkeypatch):
    TagFactory(name="VIP")
    client = client_for(manager)
    client.get(LIST)
    recorder = _CacheCalls()
    for name in ("get", "get_many", "add", "set", "set_many", "incr"):
        monkeypatch.setattr(cache, name, recorder.wrap(getattr(cache, name), name))
    response = client.get(LIST)
    assert "VIP" in menu(response, "id_tag")
    assert recorder.calls == ["get_many"]  # every version at once; menus and rows are this process's copies


class _CacheCalls:
    """The cache methods called from outside the cache (the local-memory cache's get_many calls its own get)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.depth = 0

    def wrap(self, method, name: str):
        def wrapper(*args, **kwargs):
            if not self.depth:
                self.calls.append(name)
            self.depth += 1
            try:
                return method(*args, **kwargs)
            finally:
                self.depth -= 1

        return wrapper


# --- rendered fragments: the filter bar, the top bar and side navigation -----------------------
def logout_token(response) -> str:
    """The CSRF token of the top bar's log-out form (inside a cached fragment)."""
    html = response.content.decode()
    found = re.search(
        rf'action="{reverse("logout")}">\s*<input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"', html
    )
    assert found, "no log-out form"
    return found.group(1)


def test_a_cached_fragment_carries_the_token_of_the_request_that_shows_it(manager):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(manager)
    second.force_login(manager)
    first.get(LIST)  # renders and keeps the top bar (its log-out form) and the filter bar
    response = second.get(LIST)
    assert CSRF_PLACEHOLDER not in response.content.decode()
    # The other session's token would be refused (403): this one is the second client's own.
    assert second.post(reverse("logout"), {"csrfmiddlewaretoken": logout_token(response)}).status_code == 302


def test_the_cached_filter_bar_shows_the_filters_of_each_query(client_for, manager):
    tag = TagFactory(name="VIP")
    client = client_for(manager)
    client.get(LIST)
    response = client.get(LIST, {"tag": tag.pk, "q": "ada"})
    html = response.content.decode()
    assert 'name="q" value="ada"' in html
    assert f'<option value="{tag.pk}" selected>VIP</option>' in html
    assert 'name="q" value="ada"' not in client.get(LIST).content.decode()


def test_the_side_navigation_marks_the_entry_of_each_page(client_for, manager):
    client = client_for(manager)
    active = re.compile(r'<a class="nav-link active" href="([^"]+)" aria-current="page">')
    assert active.findall(client.get(LIST).content.decode()) == [LIST]
    assert active.findall(client.get(reverse("sales:pipeline")).content.decode()) == [reverse("sales:pipeline")]
    assert active.findall(client.get(LIST).content.decode()) == [LIST]


def test_a_fragment_whose_render_reads_rows_nobody_watches_is_drawn_every_time(owner):
    InteractionFactory(customer__owner=owner, summary="First call")
    renders = []

    def render() -> str:
        renders.append(1)
        return ", ".join(entry.summary for entry in Interaction.objects.all())

    for _ in range(2):
        assert cached_fragment(("interactions",), render, csrf_token=str) == "First call"
    assert len(renders) == 2


def test_a_fragment_is_drawn_again_after_a_write_to_any_watched_model(owner):
    renders = []

    def render() -> str:
        renders.append(1)
        return "menu"

    cached_fragment(("menu",), render, csrf_token=str)
    cached_fragment(("menu",), render, csrf_token=str)
    assert len(renders) == 1
    TagFactory(name="Fresh")
    cached_fragment(("menu",), render, csrf_token=str)
    assert len(renders) == 2
