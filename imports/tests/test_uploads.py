"""Stored uploads nobody finished importing are deleted by an hourly job, not by the next upload."""

import os
import time

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import services
from imports.tasks import prune_uploads
from jobs.models import JobRun

KIND = services.ImportKind(prefix="people", no_rows_message=lambda: "no rows")
DAY = 24 * 3600


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media_root, *, age_seconds: float = 0) -> list:
    """A stored upload read into its row table: the three files the kit keeps, aged as asked
    (a blank row: not a plain CSV, which PostgreSQL would COPY without a row table)."""
    name = services.upload_store(upload=SimpleUploadedFile("people.csv", b"Name\nAda\n\nBob\n"), kind=KIND)
    services.upload_prepare(name, kind=KIND, filename="people.csv")
    paths = [media_root / name, media_root / f"{name}.rows", media_root / f"{name}.json"]
    moment = time.time() - age_seconds
    for path in paths:
        os.utime(path, (moment, moment))
    return paths


def test_the_pruning_job_deletes_uploads_older_than_a_day_and_keeps_newer_ones(db, media_root):
    old = stored(media_root, age_seconds=DAY + 60)
    recent = stored(media_root, age_seconds=DAY - 60)

    result = prune_uploads.apply().result

    assert result == {"deleted": 3}
    assert not any(path.exists() for path in old)
    assert all(path.exists() for path in recent)
    assert JobRun.objects.get(name="imports.prune_uploads").counts == {"deleted": 3}


def test_the_pruning_job_leaves_other_files_in_the_folder_alone(db, media_root):
    stranger = media_root / "imports" / "notes.txt"
    stranger.parent.mkdir(parents=True)
    stranger.write_text("not an upload")
    os.utime(stranger, (time.time() - 2 * DAY, time.time() - 2 * DAY))

    assert prune_uploads.apply().result == {"deleted": 0}
    assert stranger.exists()


def test_storing_an_upload_no_longer_deletes_old_ones(db, media_root):
    old = stored(media_root, age_seconds=2 * DAY)
    stored(media_root)
    assert all(path.exists() for path in old)


def test_the_pruning_job_runs_hourly_on_beat():
    entry = settings.CELERY_BEAT_SCHEDULE["imports-prune-uploads"]
    assert (entry["task"], entry["schedule"]) == (prune_uploads.name, 3600)
