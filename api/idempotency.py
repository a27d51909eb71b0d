"""`Idempotency-Key` on POST: a retried request gets the first response, not a second record.

The key row is inserted in the same transaction as the write it guards. A retry that
arrives while the first request is still running waits on the key's unique index and
then reads the stored response; a request that failed stores nothing, so the client
may retry with the same key.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used with a different request."
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.get_full_path().encode())
    digest.update(request.body)
    return digest.hexdigest()


def run_once(*, request, key: str, handler: Callable[[], Response]) -> Response:
    if len(key) > MAX_KEY_LENGTH:
        raise exceptions.ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    user=request.user, key=key, fingerprint=fingerprint, status_code=0
                )
        except IntegrityError:
            return _replay(request=request, key=key, fingerprint=fingerprint)
        response = handler()
        if not status.is_success(response.status_code):
            # Nothing was created: forget the key so that a corrected retry may use it.
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.response = response.data
        record.save(update_fields=["status_code", "response"])
        return response


def _replay(*, request, key: str, fingerprint: str) -> Response:
    # The first request with this key has committed (a concurrent one waited for it).
    record = IdempotencyKey.objects.get(user=request.user, key=key)
    if record.fingerprint != fingerprint:
        raise KeyReused()
    replay = Response(record.response, status=record.status_code)
    replay["Idempotent-Replayed"] = "true"
    return replay


def keys_prune() -> int:
    """Forget keys older than CRM_API_IDEMPOTENCY_HOURS (a housekeeping job)."""
    cutoff = timezone.now() - timedelta(hours=settings.CRM_API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
