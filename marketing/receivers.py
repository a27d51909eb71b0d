"""Marketing's receivers of other apps' signals: they only enqueue work."""

from jobs.services import job_enqueue


def rfm_run_finished_refresh_segments(sender, *, run, **kwargs) -> None:
    """Every dynamic segment, due or not: their RFM rules now read the new run."""
    job_enqueue(task="marketing.segment_refresh", kwargs={"due_only": False})
