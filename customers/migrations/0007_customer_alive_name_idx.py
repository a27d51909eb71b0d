# The customer list's deep pages pick their ids by an index-only scan of this index
# (crm_project.lists.ListPaginator): the list's order, alive rows only.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_timeline_parameters")]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["last_name", "first_name", "id"],
                name="customer_alive_name_idx",
            ),
        ),
    ]
