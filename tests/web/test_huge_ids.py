"""An id past every integer column is a 4xx on every route, never a 500
(SQLite raises OverflowError on a bound integer past 64 bits)."""

from fastapi.routing import APIRoute, iter_route_contexts

from tests.factories import build_world
from tests.web.conftest import WebClient

HUGE = "9" * 30


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _options(spec: dict, schema: dict) -> list[dict]:
    """The non-null alternatives of a schema (itself when it has none)."""
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [o for s in schema[key] for o in _options(spec, s) if o.get("type") != "null"] or [schema]
    return [schema]


def _example(spec: dict, schema: dict, huge_at: tuple | None, path: tuple = ()):
    """A value of the schema whose integers are 1, except HUGE at `huge_at`,
    so that a call checks one integer at a time and the others do not hide it."""
    schema = _options(spec, schema)[0]
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "integer":
        return int(HUGE) if path == huge_at else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [_example(spec, schema.get("items", {}), huge_at, (*path, 0))]
    if kind == "object" or "properties" in schema:
        if "properties" in schema:
            return {k: _example(spec, v, huge_at, (*path, k)) for k, v in schema["properties"].items()}
        extra = schema.get("additionalProperties")
        return {"市知识产权局": _example(spec, extra, huge_at, (*path, "*"))} if isinstance(extra, dict) else {}
    if kind == "string":
        return {"date": "2026-12-31", "date-time": "2026-12-31T00:00:00Z"}.get(schema.get("format"), "x")
    return None


def _integer_paths(spec: dict, schema: dict, path: tuple = (), seen: frozenset = frozenset()) -> list[tuple]:
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen = seen | {schema["$ref"]}
    schema = _options(spec, schema)[0]
    kind = schema.get("type")
    if kind == "integer" and "enum" not in schema:
        return [path]
    if kind == "array":
        return _integer_paths(spec, schema.get("items", {}), (*path, 0), seen)
    if "properties" in schema:
        return [p for k, v in schema["properties"].items() for p in _integer_paths(spec, v, (*path, k), seen)]
    if isinstance(schema.get("additionalProperties"), dict):
        return _integer_paths(spec, schema["additionalProperties"], (*path, "*"), seen)
    return []


def _api_calls(spec: dict):
    """(method, url, query, json) per integer of every operation: that one HUGE, the others 1."""
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            ints = [
                (p["in"], p["name"]) for p in operation.get("parameters", [])
                if any(o.get("type") == "integer" for o in _options(spec, p.get("schema", {})))
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            slots = ints + [("body", path) for path in (_integer_paths(spec, body["schema"]) if body else [])]
            for where, name in slots:
                url, query = template, {}
                for place, param in ints:
                    value = HUGE if (place, param) == (where, name) else "1"
                    if place == "path":
                        url = url.replace("{" + param + "}", value)
                    elif place == "query" and value == HUGE:
                        query[param] = value
                json = _example(spec, body["schema"], name if where == "body" else None) if body else None
                yield method, url, query, json


def test_every_api_route_answers_a_huge_id_with_a_4xx(session, client_factory):
    world = build_world(session)
    # The server's error is the answer under test, not an exception in the test.
    client = WebClient(client_factory().app, raise_server_exceptions=False)
    spec = client.get("/openapi.json").json()
    calls = list(_api_calls(spec))
    assert len(calls) > 50
    failures = []
    for method, url, query, body in calls:
        response = client.request(method, url, params=query, json=body, headers=world.headers("city_admin"))
        if not 400 <= response.status_code < 500:
            failures.append((method.upper(), url, query, body, response.status_code, response.text[:200]))
    assert failures == []


def _is_int(param) -> bool:
    return param.field_info.annotation is int


def test_every_web_route_with_an_id_answers_a_huge_id_with_a_4xx(session, client_factory):
    build_world(session)
    client = WebClient(client_factory().app, raise_server_exceptions=False).login("city_admin")
    token = client.csrf("/")
    routes = [
        (context.path, context.original_route) for context in iter_route_contexts(client.app.routes)
        if isinstance(context.original_route, APIRoute) and not context.path.startswith("/api/")
        and any(_is_int(p) for p in context.original_route.dependant.path_params)
    ]
    assert len(routes) > 20
    failures = []
    for path, route in routes:
        url = path
        for param in route.dependant.path_params:
            url = url.replace("{" + param.name + "}", HUGE if _is_int(param) else "x")
        for method in route.methods - {"HEAD"}:
            data = {"csrf_token": token} if method == "POST" else None
            response = client.request(method, url, data=data, follow_redirects=False)
            if response.status_code >= 500 or response.status_code < 300:
                failures.append((method, url, response.status_code, response.text[:200]))
    assert failures == []
