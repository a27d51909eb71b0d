# The real-worker fixtures (one run per broker, workers started by name), for the import job's tests.
from jobs.tests.worker import broker, workers  # noqa: F401
