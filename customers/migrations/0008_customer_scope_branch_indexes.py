# A manager's customer list pages its scope branch by branch (owner = me, team IN
# mine; crm_project.lists.ListPaginator): these give each branch in list order, alive
# rows only, with the other scope column included so that the scope's OR is checked
# in the index (index-only scans). They replace the (owner, last_name) and
# (team, last_name) indexes, whose place they take.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_saved_views"),
        ("customers", "0007_customer_alive_name_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="customer", name="customer_owner_name_idx"),
        migrations.RemoveIndex(model_name="customer", name="customer_team_name_idx"),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "last_name", "first_name", "id"],
                include=("team",),
                name="customer_alive_owner_name_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["team", "last_name", "first_name", "id"],
                include=("owner",),
                name="customer_alive_team_name_idx",
            ),
        ),
    ]
