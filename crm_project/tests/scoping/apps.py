from django.apps import AppConfig


class ScopingTestConfig(AppConfig):
    """A test-only app whose models exercise the access layer."""

    name = "crm_project.tests.scoping"
    label = "scoping_tests"
