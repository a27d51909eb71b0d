# The real-worker fixtures (one run per broker, workers started by name).
from jobs.tests.worker import broker, workers  # noqa: F401
