"""The Marketer role: a Django group, like the other roles (accounts.roles)."""

from django.db import migrations


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Marketer")


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
