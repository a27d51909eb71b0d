"""Writes of the analytics app: RFM scoring runs and their pruning."""

from .rfm import rfm_cell_segments, rfm_prune_runs, rfm_score_run

__all__ = ["rfm_cell_segments", "rfm_prune_runs", "rfm_score_run"]
