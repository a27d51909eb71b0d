"""The OpenAPI schema is valid and complete; the docs take the browser's session, the resources do not."""

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from api.urls import router

PREFIX = "/api/v1/"
# A route's named groups become OpenAPI parameters; drf-spectacular calls `pk` "id".
GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def openapi_path(route: str) -> str:
    path = GROUP.sub(lambda match: "{" + ("id" if match[1] == "pk" else match[1]) + "}", route)
    return PREFIX + path.removeprefix("^").removesuffix("$")


def router_routes() -> list[tuple[str, list[str]]]:
    """Every /api/v1/ route of the router, with the HTTP methods it answers."""
    routes = []
    for pattern in router.urls:
        actions = pattern.callback.actions  # type: ignore[union-attr]  # a viewset's view has its actions
        methods = [method for method in actions if method not in ("head", "options")]
        routes.append((openapi_path(pattern.pattern.regex.pattern), methods))
    return routes


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_validates_without_warnings(tmp_path, db):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/customers/" in (tmp_path / "schema.yaml").read_text()


def test_the_route_walk_sees_the_routes_it_checks():
    paths = {path for path, _ in router_routes()}
    assert {"/api/v1/customers/", "/api/v1/customers/{id}/", "/api/v1/customers/by-ref/{external_ref}/"} <= paths


def test_every_route_and_method_of_the_api_is_in_the_schema(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, methods in router_routes()
        for method in methods
        if method not in schema["paths"].get(path, {})
    ]
    assert missing == []


def test_the_schema_is_served_to_a_logged_in_user(client, owner):
    client.force_login(owner)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "/api/v1/customers/" in response.json()["paths"]


def test_the_docs_open_with_the_session_and_load_their_scripts_from_the_crm_itself(client, owner):
    client.force_login(owner)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SwaggerUIBundle" in html
    # Every address the page loads is the CRM's own. (Not a substring test on
    # the whole page: the CSRF token is random and sometimes spells "cdn".)
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert all(address.startswith("/") and not address.startswith("//") for address in addresses)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith(settings.STATIC_URL) for src in scripts)
    # Static files of the sidecar package: collectstatic gathers them, the CRM serves them.
    assert all(finders.find(src.removeprefix(settings.STATIC_URL)) for src in scripts)


def test_the_resources_refuse_a_browser_session(client, owner):
    client.force_login(owner)
    response = client.get(PREFIX + "customers/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
