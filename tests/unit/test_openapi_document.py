"""The OpenAPI document is generated from the route table: every route, bundled schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from cloverleaf.config.load import ConfigError, load_config
from cloverleaf.config.server import ServerSettings, settings_from_env
from cloverleaf.management.registry import Policy, Route, RouteTable
from cloverleaf.openapi.bundle import SchemaBundle
from cloverleaf.openapi.document import build_document, documented_path
from cloverleaf.providers.registry import BUILTIN
from cloverleaf.server.asgi import HttpRequest, Send
from cloverleaf.server.factory import build_app

PROVIDERS = "bifrost/schemas/management/providers.yaml#/"


async def _noop(request: HttpRequest, send: Send) -> None:
    return None


class Widget(BaseModel):
    name: str
    size: int = 1


class WidgetList(BaseModel):
    widgets: list[Widget]


class Key(BaseModel):
    label: str


def test_every_route_of_the_real_table_is_documented(tmp_path: Path) -> None:
    app = build_app(ServerSettings(data_dir=tmp_path), load_config(None, {}, BUILTIN))
    routes = app.routes.routes
    document = build_document(routes)
    validate(document)
    served = {(r.method.lower(), documented_path(r)) for r in routes}
    listed = {(m, p) for p, ops in document["paths"].items() for m in ops}
    assert served == listed
    assert ("get", "/openapi.json") in listed and ("get", "/docs") in listed
    gemini = document["paths"]["/v1beta/models/{path}"]["post"]
    assert [p["name"] for p in gemini["parameters"]] == ["path"]
    providers = document["paths"]["/api/providers"]["get"]
    assert providers["security"] == [{"adminKey": []}, {"oidc": []}]
    assert document["paths"]["/health"]["get"]["security"] == []


def test_seed_refs_are_bundled_across_files_with_unique_names() -> None:
    bundle = SchemaBundle()
    assert bundle.schema(PROVIDERS + "Key") == {"$ref": "#/components/schemas/Key"}
    # providers.yaml refers to management/common.yaml and inference/common.yaml
    assert "EnvVar" in bundle.components and "BifrostError" not in bundle.components
    bundle.schema("bifrost/schemas/inference/common.yaml#/BifrostError")
    assert "ErrorField" in bundle.components
    # a model whose name a seed schema already has is qualified by its module
    assert bundle.schema(Key) == {"$ref": f"#/components/schemas/{__name__}.Key"}
    assert bundle.schema(Key) == bundle.schema(Key)
    assert bundle.components[f"{__name__}.Key"]["properties"]["label"]["type"] == "string"
    refs = _refs(bundle.components)
    assert refs and all(r.removeprefix("#/components/schemas/") in bundle.components for r in refs)


def test_unknown_or_escaping_refs_fail_loudly() -> None:
    with pytest.raises(KeyError, match="NoSuchSchema"):
        SchemaBundle().schema(PROVIDERS + "NoSuchSchema")
    with pytest.raises(ValueError, match="outside"):
        SchemaBundle().schema("../secrets.yaml#/X")


def test_pydantic_models_become_components_and_ids_are_unique() -> None:
    table = RouteTable()
    for path in ("/a/widgets", "/b/widgets/{widget_id}"):
        table.add(
            Route(
                "POST", path, _noop, Policy.CLIENT, request_body=Widget, responses={200: WidgetList}
            )
        )
    table.add(Route("GET", "/x", _noop, Policy.PUBLIC, operation_id="same"))
    table.add(Route("GET", "/y", _noop, Policy.PUBLIC, operation_id="same"))
    document = build_document(table.routes)
    validate(document)
    assert set(document["components"]["schemas"]) == {"Widget", "WidgetList"}
    op = document["paths"]["/b/widgets/{widget_id}"]["post"]
    assert op["operationId"] == "postBWidgetsByWidgetId"
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Widget"
    }
    ids = {document["paths"][p]["get"]["operationId"] for p in ("/x", "/y")}
    assert ids == {"same", "same_2"}


def test_enable_auth_settings() -> None:
    env = {"ENABLE_AUTH": "true", "OIDC_ISSUER_URL": "http://idp", "OIDC_CLIENT_ID": "gw"}
    settings = settings_from_env(env, host="0.0.0.0")
    assert settings.enable_auth and settings.oidc_client_id == "gw"
    settings.check_bind()  # OIDC is an admin credential: a non-loopback bind is allowed
    with pytest.raises(ConfigError, match="OIDC_ISSUER_URL and OIDC_CLIENT_ID"):
        settings_from_env({"ENABLE_AUTH": "1"}).check_bind()
    with pytest.raises(ConfigError, match="ENABLE_AUTH"):
        settings_from_env({"ENABLE_AUTH": "maybe"})
    assert settings_from_env({"ENABLE_AUTH": "false"}).enable_auth is False


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []
