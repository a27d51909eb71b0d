"""History of tags and custom fields: who changed them, from which value to which."""

import pytest
from django.urls import reverse

from customers.models import CustomField, Tag
from customers.services import imports
from customers.tests.factories import TagFactory

pytestmark = pytest.mark.django_db


def history_page(client, model, pk) -> str:
    response = client.get(reverse(f"admin:customers_{model}_history", args=[pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_renaming_a_tag_in_the_admin_shows_old_and_new_name_and_who(client_for, admin_user):
    tag = TagFactory(name="VIP", color="#6c757d")
    client = client_for(admin_user)
    data = {"name": "Key account", "color": "#6c757d"}
    assert client.post(reverse("admin:customers_tag_change", args=[tag.pk]), data).status_code == 302

    page = history_page(client, "tag", tag.pk)

    assert '<strong>Name:</strong> <span class="old">VIP</span> &rarr; <span class="new">Key account</span>' in page
    assert "(ada)" in page
    assert tag.history.first().history_user == admin_user


def test_a_custom_field_made_and_changed_in_the_admin_is_recorded_with_labels_of_its_choices(client_for, admin_user):
    client = client_for(admin_user)
    data = {"label": "Size", "key": "size", "field_type": "text", "choices": "", "position": 0, "is_active": "on"}
    assert client.post(reverse("admin:customers_customfield_add"), data).status_code == 302
    field = CustomField.objects.get(key="size")
    changed = {**data, "field_type": "choice", "choices": "S\nM\nL"}
    assert client.post(reverse("admin:customers_customfield_change", args=[field.pk]), changed).status_code == 302

    page = history_page(client, "customfield", field.pk)

    assert '<strong>Type:</strong> <span class="old">Text</span> &rarr; <span class="new">Choice</span>' in page
    assert [(r.history_type, r.history_user) for r in field.history.all()] == [("~", admin_user), ("+", admin_user)]


def test_tags_an_import_creates_are_recorded_with_the_importing_user(manager):
    TagFactory(name="VIP")
    data = b'First name,Last name,E-mail,Tags\nAda,Lovelace,ada@example.com,"vip, math"\n'
    table = imports.import_table_read(data=data, filename="people.csv")
    mapping = imports.import_mapping_guess(table.headers, [])
    imports.customers_import(table=table, mapping=mapping, actor=manager)

    math = Tag.objects.get(name="math")
    assert [(r.history_type, r.history_user) for r in math.history.all()] == [("+", manager)]
    assert not Tag.history.filter(name="VIP", history_user=manager).exists()  # it existed before
