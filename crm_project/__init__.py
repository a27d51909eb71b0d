import os

# numpy's OpenBLAS starts a thread per core that busy-waits between calls; the lifetime-value fit
# (analytics.btyd) gains nothing from them and, beside a web server and a worker, they steal the
# cores (a 20k-customer fit measured 2.8 s instead of 0.03 s). Set before anything imports numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Load the Celery app when Django starts so that @shared_task binds to it.
from .celery import app as celery_app

__all__ = ("celery_app",)
