"""The OpenAPI document: generated from the code, OpenAPI 3.1, valid, complete, and served with
an API reference page made of vendored files (no inline script, nothing from the internet)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from learning.api import views
from learning.api.spec import document

STATIC = Path(views.__file__).resolve().parent.parent / "static"
SWAGGER = STATIC / "vendor" / "swagger-ui"


def served(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    return response.get_json()


def test_the_document_is_openapi_3_1_and_valid(client):
    spec = served(client)
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_the_document_is_the_one_generated_from_the_code(app, client):
    with app.test_request_context():
        assert served(client) == document()


def test_every_api_route_is_documented_with_its_errors(app, client):
    spec = served(client)
    routes = {(method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint not in views.PUBLIC_ENDPOINTS
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for path, operations in spec["paths"].items()
                  for method in operations}
    assert routes == documented
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["operationId"] and operation["summary"], (method, path)
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes and codes & {"200", "201"}, (method, path)
            if "requestBody" in operation:  # a JSON body: 415 for anything else
                assert {"400", "415"} <= codes, (method, path)
            error = operation["responses"]["401"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
    assert spec["security"] == [{"bearerToken": []}]
    assert spec["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def test_the_error_schema_is_the_contract(client):
    schemas = served(client)["components"]["schemas"]
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"status", "message"}


def test_lists_document_their_cursor_and_limit(client):
    spec = served(client)
    for path in ("/api/v1/me/enrolments", "/api/v1/courses", "/api/v1/groups",
                 "/api/v1/groups/{group_id}/progress"):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert parameters["limit"]["schema"]["maximum"] == 200
        assert parameters["cursor"]["schema"]["type"] == "string"


def test_the_reference_page_uses_vendored_files_and_no_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.data.decode()
    assert "script-src" not in response.headers["Content-Security-Policy"]  # default-src 'self'
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip()
                           for attrs, body in scripts)
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        file = client.get(asset)
        file.close()  # a static file is streamed: close it as a server does
        assert file.status_code == 200, asset
    assert 'data-spec-url="/api/v1/openapi.json"' in html
    assert "http://" not in html and "https://" not in html
    assert 'href="/account#api-tokens"' in html


def test_the_vendored_swagger_ui_is_the_recorded_release():
    readme = (SWAGGER / "README.md").read_text()
    assert "5.35.0" in readme and "Apache License 2.0" in readme
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        digest = hashlib.sha256((SWAGGER / name).read_bytes()).hexdigest()
        assert digest in readme, name
    assert (SWAGGER / "LICENSE").is_file() and (SWAGGER / "NOTICE").is_file()
