"""`GET /docs`: the OpenAPI document as one self-contained HTML page.

No script and no external asset: the gateway runs offline, and a page that fetched a UI from a
CDN would show nothing there. Operations are grouped by tag; every schema is listed once at the
end and each `$ref` links to it.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

import orjson

_REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9._-]+)&quot;")
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#222}
h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0;padding:.3rem .8rem}
.op summary{cursor:pointer}
.m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:monospace}
.get{color:#1a7f37}.post{color:#0b5cad}.put,.patch{color:#9a6700}.delete{color:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
.auth{color:#666;font-size:13px}
"""


def _schema_link(schema: Any) -> str:
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    name = ref.rsplit("/", 1)[-1]
    if name:
        return f'<a href="#schema-{escape(name)}"><code>{escape(name)}</code></a>'
    return f"<code>{escape(orjson.dumps(schema).decode())}</code>"


def _auth(security: list[dict[str, Any]]) -> str:
    if not security:
        return "public"
    schemes = [" + ".join(entry) or "none" for entry in security]
    return "auth: " + " or ".join(schemes)


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    rows = [
        f'<details class="op" id="op-{escape(op["operationId"])}"><summary>'
        f'<span class="m {method}">{method.upper()}</span> <code>{escape(path)}</code> '
        f"— {escape(op['summary'])}</summary>",
        f"<p><code>{escape(op['operationId'])}</code> · "
        f'<span class="auth">{escape(_auth(op["security"]))}</span></p>',
    ]
    params = [p["name"] for p in op.get("parameters", [])]
    if params:
        names = ", ".join(f"<code>{escape(p)}</code>" for p in params)
        rows.append(f"<p>path parameters: {names}</p>")
    body = op.get("requestBody")
    if body:
        rows.append(
            "<p>request body: " + _schema_link(body["content"]["application/json"]["schema"])
        )
    items = []
    for status, response in op["responses"].items():
        content = response.get("content", {}).get("application/json")
        shown = f" {_schema_link(content['schema'])}" if content else ""
        items.append(f"<li><b>{escape(status)}</b> {escape(response['description'])}{shown}</li>")
    rows.append("<ul>" + "".join(items) + "</ul></details>")
    return "\n".join(rows)


def render_docs(document: dict[str, Any]) -> bytes:
    grouped: dict[str, list[str]] = {tag["name"]: [] for tag in document.get("tags", [])}
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            for tag in op["tags"]:
                grouped.setdefault(tag, []).append(_operation(path, method, op))
    info = document["info"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(info['title'])} API</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(info['title'])} {escape(info['version'])}</h1>",
        f"<p>{escape(info.get('description', ''))} "
        'The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>',
        "<nav>" + " · ".join(f'<a href="#tag-{escape(t)}">{escape(t)}</a>' for t in grouped),
        ' · <a href="#schemas">Schemas</a></nav>',
    ]
    for tag, operations in grouped.items():
        parts.append(f'<h2 id="tag-{escape(tag)}">{escape(tag)}</h2>')
        parts.extend(operations)
    parts.append('<h2 id="schemas">Schemas</h2>')
    for name, schema in document["components"]["schemas"].items():
        text = escape(orjson.dumps(schema, option=orjson.OPT_INDENT_2).decode())
        linked = _REF.sub(r'&quot;<a href="#schema-\1">#/components/schemas/\1</a>&quot;', text)
        parts.append(f'<h3 id="schema-{escape(name)}">{escape(name)}</h3><pre>{linked}</pre>')
    parts.append("</body></html>")
    return "\n".join(parts).encode()
