"""No input answers 500: every date and every number the API takes, sent at the edges of what
Python's calendar and a 64-bit column hold (the attack of issue 14), on SQLite and PostgreSQL.

The routes come from the OpenAPI document, so a new route is attacked by construction; the pages
outside the document are attacked by their path parameters. A well-formed request around the
attacked value (the hall, a counter, an item, today) carries it as deep as it can go.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from litestar.testing import TestClient

from tests.support import login

TODAY = "2026-11-23"  # the test clock's Monday
DATES = ["9999-12-31", "0001-01-01", "9999-12-25", "0001-01-02"]
INTEGERS = [2**64, -(2**63) - 1, 10**30, 2**63, -(2**64)]
# What a well-formed request names, by field (else the schema's first choice).
NAMED = {"hall": "demo", "item": "QY01", "counter": 1, "reason": "测试", "chart": "hour.svg", "table": "tickets"}


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _choices(spec: dict, schema: dict) -> list[dict]:
    """The kinds a value of ``schema`` may be (not null), each with the bounds said around them."""
    schema = _resolve(spec, schema)
    subs = schema.get("oneOf") or schema.get("anyOf")
    if not subs:
        return [schema]
    around = {k: v for k, v in schema.items() if k in ("minimum", "maximum")}
    return [{**c, **around} for s in subs for c in _choices(spec, s) if c.get("type") != "null"]


def _sample(spec: dict, schema: dict, name: str = "", depth: int = 0) -> Any:
    """A plausible value of ``schema``: required fields only, the named ones as the demo has them."""
    schema = _choices(spec, schema)[0]
    kind = schema.get("type")
    if name in NAMED and kind in ("string", "integer"):
        return NAMED[name]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {key: _sample(spec, props[key], key, depth + 1) for key in required if key in props and depth < 6}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}), name, depth + 1)] if depth < 6 else []
    if kind == "integer":
        return max(1, int(schema.get("minimum", 1)))
    if kind == "number":
        return max(1.0, float(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return TODAY
    if schema.get("format") == "date-time":
        return f"{TODAY}T10:00:00+08:00"
    return "x" * max(1, int(schema.get("minLength", 1)))


def _targets(spec: dict, schema: dict, path: tuple = (), depth: int = 0) -> Iterator[tuple[tuple, dict]]:
    """Every date, integer and number inside ``schema``, with its path (keys and list places)."""
    if depth > 8:
        return
    for choice in _choices(spec, schema):
        kind = choice.get("type")
        if kind == "object":
            for key, sub in choice.get("properties", {}).items():
                yield from _targets(spec, sub, (*path, key), depth + 1)
            if isinstance(choice.get("additionalProperties"), dict):
                yield from _targets(spec, choice["additionalProperties"], (*path, "A"), depth + 1)
        elif kind == "array":
            yield from _targets(spec, choice.get("items", {}), (*path, 0), depth + 1)
        elif kind in ("integer", "number") or choice.get("format") in ("date", "date-time"):
            yield path, choice


def _put(spec: dict, body: Any, schema: dict, path: tuple, value: Any) -> Any:
    """``body`` with ``value`` at ``path``, the optional parts on the way made up."""
    if not path:
        return value
    schema = next((c for c in _choices(spec, schema) if c.get("type") in ("object", "array")), {})
    head, rest = path[0], path[1:]
    if head == 0:
        items = schema.get("items", {})
        element = body[0] if isinstance(body, list) and body else _sample(spec, items)
        return [_put(spec, element, items, rest, value)]
    body = dict(body) if isinstance(body, dict) else {}
    sub = schema.get("additionalProperties") if head == "A" else schema.get("properties", {}).get(head, {})
    key = "QY01" if head == "A" else head
    # First in its object: a decoder meets the attacked value before any other field's fault.
    return {key: _put(spec, body.pop(key, None) or _sample(spec, sub, key), sub, rest, value), **body}


def _edges(schema: dict) -> list[Any]:
    if schema.get("format") == "date":
        return DATES
    if schema.get("format") == "date-time":
        return [f"{d}T00:00:00+08:00" for d in DATES] + [f"{d}T23:59:59-12:00" for d in DATES]
    if schema.get("type") == "number":
        return [1e308, -1e308, 1e30, 2.0**64]
    return INTEGERS


def _attacks(spec: dict) -> Iterator[tuple[str, str, dict, dict, Any, str]]:
    """(method, path, query, headers-free body or None, where) for every edge of every operation."""
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            params = operation.get("parameters", [])
            path_values = {
                p["name"]: _sample(spec, p.get("schema", {}), p["name"]) for p in params if p["in"] == "path"
            }
            query = {
                p["name"]: _sample(spec, p.get("schema", {}), p["name"])
                for p in params
                if p["in"] == "query" and p.get("required")
            }
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            body_schema = content["schema"] if content else None
            body = _sample(spec, body_schema) if body_schema else None
            for param in params:
                for _, schema in _targets(spec, param.get("schema", {})):
                    for edge in _edges(schema):
                        if param["in"] == "path":
                            path = template.format(**{**path_values, param["name"]: edge})
                            yield method, path, query, body, edge, f"path {param['name']}"
                        elif param["in"] == "query":
                            path = template.format(**path_values)
                            yield method, path, {**query, param["name"]: edge}, body, edge, f"query {param['name']}"
            if body_schema:
                for where, schema in _targets(spec, body_schema):
                    for edge in _edges(schema):
                        attacked = _put(spec, copy.deepcopy(body), body_schema, where, edge)
                        yield method, template.format(**path_values), query, attacked, edge, f"body {where}"


# The pages and device routes outside the document: their typed path parameters.
_PAGES = [
    "/halls/demo/counters/{int}",
    "/halls/demo/counters/{int}/pad",
    "/halls/demo/counters/{int}/board",
    "/halls/demo/voice/call/A001/{int}",
    "/halls/demo/voice/announcements/{int}",
]


def _wrong(answer, edge: Any) -> str | None:
    """What is wrong with an answer to an edge: a 5xx, a refusal in one language, or a refusal
    by the last-resort net for overflows instead of by the bounds of the types and ranges."""
    if answer.status_code >= 500:
        return f"{answer.status_code} {answer.text[:200]}"
    if answer.status_code >= 400:
        body = answer.json()
        if not (body.get("detail") and body.get("detail_zh")) or body.get("error") == "out_of_range":
            return f"{answer.status_code} {body}"
    # An integer past 64 bits is refused by the bound of its type (msgspec's words), whatever else
    # the request has: a bound the OpenAPI document cannot show (a list's) is still there.
    if isinstance(edge, int) and "Expected `int`" not in answer.text:
        return f"{answer.status_code}, not refused by a bound: {answer.text[:200]}"
    return None


def test_no_date_or_number_at_the_edges_answers_500(client: TestClient) -> None:
    manager = login(client, "manager", "demo-manager")
    spec = client.get("/api/docs/openapi.json").json()
    tried, failures = 0, []
    for method, path, query, body, edge, where in _attacks(spec):
        if method == "get" and "/ws/" in path:
            continue
        answer = client.request(method.upper(), path, params=query, json=body, headers=manager)
        if wrong := _wrong(answer, edge):
            failures.append(f"{method.upper()} {path} {where}={edge!r}: {wrong}")
        tried += 1
    for page in _PAGES:
        for edge in INTEGERS:
            path = page.format(int=edge)
            if wrong := _wrong(client.get(path, headers={**manager, "Accept": "application/json"}), edge):
                failures.append(f"GET {path}: {wrong}")
    assert not failures, "\n".join(failures)
    assert tried > 300  # every operation with a date or a number was reached


def test_every_integer_the_api_takes_states_its_bounds(client: TestClient) -> None:
    """The OpenAPI document says what a 64-bit column holds: every integer has a minimum and a
    maximum within 64 bits (the document writes 2**63 - 1 as a float, 2**63), so a client
    knows the bounds before it sends. (A decimal fits a float column at any size: the attack
    above shows none fails.)"""
    spec = client.get("/api/docs/openapi.json").json()
    unbounded = []
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            schemas = [(f"{p['in']} {p['name']}", p["schema"]) for p in operation.get("parameters", [])]
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content:
                schemas.append(("body", content["schema"]))
            for name, schema in schemas:
                for where, target in _targets(spec, schema):
                    if target.get("type") != "integer" or where[-1:] == (0,):
                        continue  # Litestar does not write a list's items' bounds (the attack checks them)
                    low, high = target.get("minimum"), target.get("maximum")
                    if low is None or high is None or low < -(2**63) or high > 2**63:
                        unbounded.append(f"{method.upper()} {template} {name} {where}")
    assert not unbounded, "\n".join(unbounded)


def test_a_range_of_days_is_bounded_and_says_so(client: TestClient) -> None:
    manager = login(client, "manager", "demo-manager")
    for path in ["/api/halls/demo/coverage", "/api/halls/demo/ratings/stats", "/api/halls/demo/appointments/figures"]:
        answer = client.get(path, params={"from": "2020-01-01", "to": "2026-11-23"}, headers=manager)
        assert answer.status_code == 400, (path, answer.text)
        assert re.search(r"\d+ days", answer.json()["detail"]), answer.text
        assert answer.json()["detail_zh"], answer.text
    a_year, a_quarter = {"from": "2025-11-24", "to": TODAY}, {"from": "2026-08-23", "to": TODAY}
    assert client.get("/api/halls/demo/ratings/stats", params=a_year, headers=manager).status_code == 200
    assert client.get("/api/halls/demo/coverage", params=a_quarter, headers=manager).status_code == 200
