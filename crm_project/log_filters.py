"""Filters for the LOGGING setting."""

import logging


class ForbiddenInOneLine(logging.Filter):
    """A refused request (403) is expected traffic, not a fault: log its one line
    ("Forbidden (Permission denied): /customers/7/edit/") without the traceback
    Django attaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
