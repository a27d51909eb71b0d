"""Hostile files at the order import: refused at upload, no order written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.tests import files
from sales.models import Order


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def nothing_kept(media_root) -> bool:
    folder = media_root / "imports"
    return not folder.exists() or not list(folder.iterdir())


def test_an_order_file_with_an_unterminated_quote_writes_no_order(client_for, manager, media_root):
    data = b'customer_ref,ordered_at,total\nC-1,2024-05-01,"10\nC-2,2024-05-01,5\n'
    response = client_for(manager).post(reverse("sales:order-import"), {"file": SimpleUploadedFile("o.csv", data)})
    assert "is never closed" in response.context["form"].errors["file"][0]
    assert nothing_kept(media_root) and not Order.objects.exists()


def test_the_order_import_takes_csv_only(client_for, manager):
    data = files.xlsx_rows([["customer_ref", "ordered_at", "total"], ["C-1", "2024-05-01", "1"]])
    response = client_for(manager).post(reverse("sales:order-import"), {"file": SimpleUploadedFile("o.xlsx", data)})
    assert response.context["form"].errors["file"] == ["Upload a CSV (.csv) file."]
