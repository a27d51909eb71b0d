from django.conf import settings
from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Newest first by id: a cursor is a position in the primary key, so pages stay
    stable while rows are inserted and cost the same at any depth."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = settings.CRM_API_PAGE_SIZE_MAX
