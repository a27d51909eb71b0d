"""Small database helpers shared by the analytics queries."""

import zoneinfo
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def crm_timezone() -> zoneinfo.ZoneInfo:
    """The CRM's own time zone (settings.TIME_ZONE), whatever a user has switched to."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def crm_today() -> date:
    return timezone.localdate(timezone.now(), crm_timezone())


def crm_midnight(day: date) -> datetime:
    """00:00 of `day` in the CRM's time zone, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=crm_timezone())


class ExactSum(Sum):
    """SUM of a two-place decimal column that is exact on SQLite too.

    SQLite stores decimals as floating point, so a plain SUM can make
    0.10 + 0.20 differ from 0.30 and split a tie. Summing whole cents as
    integers and dividing once keeps equal sums equal and their order exact.
    """

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="(SUM(CAST(ROUND(%(expressions)s * 100) AS INTEGER)) / 100.0)",
            **extra_context,
        )
