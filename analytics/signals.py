"""Signals analytics sends, for higher apps to react to without analytics knowing them."""

from django.dispatch import Signal

# Sent with `run` (an RfmRun) once a scoring run is committed. Receivers only
# enqueue work (marketing refreshes its segments, whose RFM rules read the latest run).
rfm_run_finished = Signal()
