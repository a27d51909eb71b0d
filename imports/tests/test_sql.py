"""The kit's SQL helpers that change the session: they put back what was there."""

import pytest
from django.db import connection

from imports import sql

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings"),
]


def current(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s)", [name])
        return cursor.fetchone()[0]


def test_the_checks_settings_hold_inside_the_block_and_are_put_back_after_it():
    before = (current("work_mem"), current("jit"))
    with sql.settings(sql.CHECKING):
        assert (current("work_mem"), current("jit")) == ("64MB", "off")
    assert (current("work_mem"), current("jit")) == before


def test_the_settings_are_put_back_when_the_block_fails():
    before = current("work_mem")
    with pytest.raises(ZeroDivisionError), sql.settings({"work_mem": "32MB"}):
        1 / 0  # noqa: B018
    assert current("work_mem") == before


def test_a_staging_table_is_analyzed_with_a_small_sample_and_the_target_put_back():
    before = current("default_statistics_target")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE counted AS SELECT g AS n FROM generate_series(1, 5000) g")
        sql.analyze("counted")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'counted'")
        assert cursor.fetchone()[0] == 5000
        cursor.execute("DROP TABLE counted")
    assert current("default_statistics_target") == before
