"""Every error in one shape: RFC 9457 problem details (`application/problem+json`).

drf-standardized-errors turns each exception into a list of errors, each naming its
field (`attr`); this module adds the RFC's members around that list and maps the
services' own exceptions: a model's ValidationError is a 400 naming the fields, a
stale edit a 409.
"""

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.types import VALIDATION_ERROR
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from crm_project.versioning import StaleEdit

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record was changed by someone else: fetch it again and retry with its new version."
    default_code = "stale_edit"


class ProblemDetailsHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(_django_errors(exc))
        if isinstance(exc, StaleEdit):
            return Conflict()
        return super().convert_known_exceptions(exc)

    def get_response(self, exc: exceptions.APIException, data: dict) -> Response:
        response = super().get_response(exc, data)
        response.content_type = PROBLEM_CONTENT_TYPE
        return response


class ProblemDetailsFormatter(ExceptionFormatter):
    def format_error_response(self, error_response) -> dict[str, Any]:
        errors = [{"code": error.code, "detail": error.detail, "attr": error.attr} for error in error_response.errors]
        status_code = self.exc.status_code
        validation = error_response.type == VALIDATION_ERROR
        kind = error_response.type if validation else errors[0]["code"]
        request = self.context.get("request")
        return {
            # A relative URI reference naming the kind of problem (RFC 9457, section 3.1.1).
            "type": f"/api/problems/{kind}/",
            "title": "Validation error" if validation else HTTPStatus(status_code).phrase,
            "status": status_code,
            "detail": errors[0]["detail"] if len(errors) == 1 else f"{len(errors)} errors.",
            "instance": request.path if request is not None else None,
            "errors": errors,
        }


def _django_errors(exc: DjangoValidationError) -> dict[str, list[str]] | list[str]:
    if hasattr(exc, "error_dict"):
        non_field = api_settings.NON_FIELD_ERRORS_KEY
        return {non_field if name == "__all__" else name: messages for name, messages in exc.message_dict.items()}
    return exc.messages


def exception_handler(exc: Exception, context) -> Response | None:
    return ProblemDetailsHandler(exc, context).run()
