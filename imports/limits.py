"""The limits every import file is held to, read from settings each time (tests change them).

Each is checked before the work it guards: the upload size and (for .xlsx) the unpacked
size and packing ratio before anything is parsed; the column count on the header row,
before the mapping page is drawn; cell length and row count (blank rows included) while
the file is read, so a hostile file stops at the limit instead of at the end.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Limits:
    max_bytes: int  # the uploaded file
    max_unpacked_bytes: int  # an .xlsx file's zip members, added up
    max_packing_ratio: int  # unpacked / packed size of an .xlsx file (or of its largest member)
    max_rows: int  # every row after the header, blank ones included
    max_columns: int
    max_cell_chars: int
    sync_max_bytes: int  # files (unpacked) up to this size are read inside the request


def limits() -> Limits:
    return Limits(
        max_bytes=settings.CRM_IMPORT_MAX_BYTES,
        max_unpacked_bytes=settings.CRM_IMPORT_MAX_UNPACKED_BYTES,
        max_packing_ratio=settings.CRM_IMPORT_MAX_PACKING_RATIO,
        max_rows=settings.CRM_IMPORT_MAX_ROWS,
        max_columns=settings.CRM_IMPORT_MAX_COLUMNS,
        max_cell_chars=settings.CRM_IMPORT_MAX_CELL_CHARS,
        sync_max_bytes=settings.CRM_IMPORT_SYNC_MAX_BYTES,
    )
