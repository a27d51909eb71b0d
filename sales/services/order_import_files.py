"""Keeping uploaded order files between the steps of the web import (and for its job).

An upload is stored under MEDIA_ROOT/imports/ with a random name; that name is
the only thing the session (or the task's arguments) carries from step to step.
"""

import re
import secrets
from datetime import timedelta
from typing import BinaryIO, cast

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .order_import_rows import OrderCsv, OrderImportFileError

STORAGE_DIR = "imports"
_STORED_NAME = re.compile(r"^imports/orders-[0-9a-f]{32}\.csv$")
_KEEP_UPLOADS = timedelta(days=1)


def order_import_file_store(*, upload) -> str:
    """Check the upload's size, encoding and header, then keep it; return its storage name."""
    order_import_files_prune()
    if not upload.name.lower().endswith(".csv"):
        raise OrderImportFileError(_("Upload a CSV (.csv) file."))
    if upload.size > settings.CRM_IMPORT_MAX_BYTES:
        raise OrderImportFileError(
            _("The file is too large; the limit is %(size)s.") % {"size": filesizeformat(settings.CRM_IMPORT_MAX_BYTES)}
        )
    upload.seek(0)
    reader = OrderCsv(upload)  # raises OrderImportFileError for encoding and header problems
    reader.detach()
    upload.seek(0)
    return default_storage.save(f"{STORAGE_DIR}/orders-{secrets.token_hex(16)}.csv", upload)


def order_import_file_open(name: str) -> BinaryIO:
    """The stored file, opened for reading. `name` comes from the session or a task:
    accept only names this module generated, never a path."""
    if not isinstance(name, str) or not _STORED_NAME.match(name):
        raise OrderImportFileError(_("The uploaded file is no longer available. Upload it again."))
    try:
        return cast(BinaryIO, default_storage.open(name, "rb"))  # a File proxies the binary file it wraps
    except FileNotFoundError:
        raise OrderImportFileError(_("The uploaded file is no longer available. Upload it again.")) from None


def order_import_file_claim(name: str) -> bool:
    """Mark a stored upload as handed to an import; False when it already was (a double submit)."""
    return cache.add(f"sales-order-import-claim:{name}", True, timeout=int(_KEEP_UPLOADS.total_seconds()))


def order_import_file_release(name: str) -> None:
    """Nothing was written: the user may import the file again."""
    cache.delete(f"sales-order-import-claim:{name}")


def order_import_file_delete(name: str) -> None:
    if isinstance(name, str) and _STORED_NAME.match(name):
        default_storage.delete(name)


def order_import_files_prune(*, older_than: timedelta = _KEEP_UPLOADS) -> int:
    """Delete stored order uploads nobody finished importing."""
    try:
        _dirs, files = default_storage.listdir(STORAGE_DIR)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - older_than
    names = [f"{STORAGE_DIR}/{filename}" for filename in files]
    old = [name for name in names if _STORED_NAME.match(name) and default_storage.get_modified_time(name) < cutoff]
    for name in old:
        default_storage.delete(name)
    return len(old)
