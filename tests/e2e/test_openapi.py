"""`/openapi.json` and `/docs` on a real gateway: a valid OpenAPI 3.1 document that covers the
seed's providers/keys/models/health operations, and live answers that match its schemas."""

from __future__ import annotations

import csv
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from tests.gateway_process import GatewayProcess
from tests.management.client import ManagementClient
from tests.mocks.openai_upstream import MockOpenAI

ADMIN_KEY = "admin-key-for-openapi-tests-0001"
#: the rows of shared/spec/bifrost/operations-companion.tsv about providers, keys, models, health
OPERATIONS = Path(__file__).parent / "data" / "bifrost_operations.tsv"


def _operations() -> list[dict[str, str]]:
    with OPERATIONS.open(newline="") as rows:
        return list(csv.DictReader(rows, delimiter="\t"))


@pytest.fixture(scope="module")
def gateway(
    mock_upstream: MockOpenAI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    workdir: Path = tmp_path_factory.mktemp("openapi")
    config = {
        "providers": {
            "openai": {
                "keys": [{"id": "file-key", "name": "main", "value": "sk-openapi-0000000000"}],
                "network_config": {"base_url": mock_upstream.base_url},
            }
        }
    }
    env = {"CLOVERLEAF_ADMIN_KEY": ADMIN_KEY}
    with GatewayProcess(workdir, config, env=env) as process:
        yield process


@pytest.fixture(scope="module")
def document(gateway: GatewayProcess) -> dict[str, Any]:
    status, payload = ManagementClient(gateway.base_url).call("GET", "/openapi.json")
    assert status == 200
    assert isinstance(payload, dict)
    return payload


class Conformance:
    """Checks live answers against the schema the document gives for (operation, status)."""

    def __init__(self, document: dict[str, Any], api: ManagementClient) -> None:
        self.document = document
        self.api = api
        self.checked: set[tuple[str, str, int]] = set()

    def call(
        self, method: str, template: str, path: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        status, payload = self.api.call(method, path or template, body)
        operation = self.document["paths"][template][method.lower()]
        response = operation["responses"].get(str(status)) or operation["responses"].get("default")
        assert response is not None, f"{method} {template} answered {status}, not documented"
        content = response.get("content", {}).get("application/json")
        if content is not None:
            schema = {"$ref": content["schema"]["$ref"], "components": self.document["components"]}
            errors = [e.message for e in Draft202012Validator(schema).iter_errors(payload)]
            assert not errors, f"{method} {path or template} -> {status}: {errors}"
            self.checked.add((method, template, status))
        return status, payload


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)  # openapi-spec-validator: structure and every $ref resolves
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "row", _operations(), ids=lambda row: f"{row['method']} {row['full_url_path']}"
)
def test_seed_operation_is_documented(document: dict[str, Any], row: dict[str, str]) -> None:
    operations = document["paths"].get(row["full_url_path"], {})
    operation = operations.get(row["method"].lower())
    assert operation is not None, f"{row['method']} {row['full_url_path']} is not documented"
    assert operation["operationId"] == row["operationId_or_summary"]
    params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
    assert params == set(re.findall(r"\{(\w+)\}", row["full_url_path"]))


def test_live_answers_match_the_documented_schemas(
    gateway: GatewayProcess, document: dict[str, Any], mock_upstream: MockOpenAI
) -> None:
    c = Conformance(document, ManagementClient(gateway.base_url, ADMIN_KEY))
    one, keys = "/api/providers/{provider}", "/api/providers/{provider}/keys"
    key = "/api/providers/{provider}/keys/{key_id}"
    assert c.call("GET", "/health")[0] == 200
    assert c.call("GET", "/api/providers")[0] == 200
    assert c.call("GET", one, "/api/providers/openai")[0] == 200
    assert c.call("GET", one, "/api/providers/nope")[0] == 404
    created = {"provider": "groq", "network_config": {"base_url": mock_upstream.base_url}}
    assert c.call("POST", "/api/providers", body=created)[0] == 200
    assert c.call("POST", "/api/providers", body={"provider": 7})[0] == 400
    update = {"network_config": {"base_url": mock_upstream.base_url + "/v1"}}
    assert c.call("PUT", one, "/api/providers/groq", update)[0] == 200
    assert c.call("GET", keys, "/api/providers/openai/keys")[0] == 200
    new_key = {"id": "k2", "name": "second", "value": "sk-openapi-second-000000"}
    assert c.call("POST", keys, "/api/providers/openai/keys", new_key)[0] == 200
    assert c.call("GET", key, "/api/providers/openai/keys/k2")[0] == 200
    renamed = {**new_key, "name": "renamed"}
    assert c.call("PUT", key, "/api/providers/openai/keys/k2", renamed)[0] == 200
    assert c.call("DELETE", key, "/api/providers/openai/keys/k2")[0] == 200
    assert c.call("DELETE", key, "/api/providers/openai/keys/k2")[0] == 404
    assert c.call("DELETE", one, "/api/providers/groq")[0] == 200
    assert c.call("GET", "/api/models")[0] == 200
    assert c.call("GET", "/api/models/details")[0] == 200
    assert c.call("GET", "/api/models/base")[0] == 200
    # every seed operation with a documented success schema was checked against a live answer
    documented = {
        (row["method"], row["full_url_path"])
        for row in _operations()
        if any(
            code.startswith("2") and "content" in response
            for code, response in document["paths"][row["full_url_path"]][row["method"].lower()][
                "responses"
            ].items()
        )
    }
    assert documented <= {(m, t) for m, t, status in c.checked if 200 <= status < 300}


def test_docs_page_is_self_contained_and_lists_every_operation(
    gateway: GatewayProcess, document: dict[str, Any]
) -> None:
    with urllib.request.urlopen(gateway.base_url + "/docs", timeout=10) as response:
        assert response.headers["content-type"].startswith("text/html")
        page = response.read().decode()
    for operations in document["paths"].values():
        for operation in operations.values():
            assert f'id="op-{operation["operationId"]}"' in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "<script" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)


def test_docs_are_public_but_management_is_not(gateway: GatewayProcess) -> None:
    anonymous = ManagementClient(gateway.base_url)
    assert anonymous.call("GET", "/openapi.json")[0] == 200
    with urllib.request.urlopen(gateway.base_url + "/docs", timeout=10) as response:
        assert response.status == 200
    assert anonymous.call("GET", "/api/providers")[0] == 401
