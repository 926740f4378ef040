"""Examples and common descriptions for the OpenAPI document, derived from its own schemas.

Every JSON request body and success response (and every webhook payload) gets an ``example``
assembled from its schema, so it cannot drift from it: a property's own ``examples`` first, then
its default, its first enum value, then a sample chosen by format (uuid, date-time, e-mail…) or by
the property's name, within the schema's bounds. A request example holds the required properties
and those that give an example of their own; a response example holds every property.
``tests/test_contract.py`` validates each example against its schema.

Properties whose meaning is the same everywhere (``id``, ``created_at``, amounts in minor units,
``currency``…) get their description here when their schema gives none.
"""

import re
from typing import Any

JSON = "application/json"
_REF = "#/components/schemas/"
_METHODS = ("get", "put", "post", "patch", "delete")

COMMON_DESCRIPTIONS: dict[str, str] = {
    "id": "Unique identifier (UUID), stable for the resource's life.",
    "created_at": "When it was created (ISO 8601, with offset; stored in UTC).",
    "updated_at": "When it last changed (ISO 8601, with offset; stored in UTC).",
    "currency": "ISO 4217 code of the currency of every amount in this object.",
    "has_more": "Whether another page follows (then `next_cursor` fetches it).",
    "data": "This page's items.",
    "organization_id": "The organization it belongs to.",
}
MINOR_UNITS = (
    "Amount in minor units (cents) of `currency`, an integer: 6500 is 65.00. Never a float."
)

_BY_FORMAT: dict[str, Any] = {
    "uuid": "0b6f3c1e-5a2d-4c8e-9f1a-7d3e2b4c6a80",
    "date-time": "2027-03-01T18:30:00Z",
    "date": "2027-03-01",
    "time": "19:30:00",
    "email": "ada@example.org",
    "uri": "https://example.org/",
    "binary": "",
    "duration": "P1D",
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::10",
}
_BY_NAME: dict[str, Any] = {
    "name": "Théâtre du Lac",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.org",
    "password": "correct horse battery staple",
    "current_password": "correct horse battery staple",
    "new_password": "another long passphrase",
    "language": "fr",
    "country": "CH",
    "postal_code": "1204",
    "city": "Genève",
    "town": "Genève",
    "street": "Rue du Rhône",
    "line1": "Rue du Rhône 1",
    "phone": "+41223334455",
    "currency": "CHF",
    "time_zone": "Europe/Zurich",
    "code": "123456",
    "token": "pVA4kj39VBtSxR0qLq7T1w",
    "next_cursor": "WyIyMDI3LTAzLTAxVDE4OjMwOjAwKzAwOjAwIiwiMGI2ZjNjMWUiXQ",
    "url": "https://example.org/hooks/manager",
    "iban": "CH9300762011623852957",
    "bic": "POFICHBEXXX",
    "title": "Quarterly maintenance",
    "description": "Practical information for the evening.",
    "venue": "Grande salle",
    "vat_number": "CHE-123.456.788 MWST",
    "issuer": "https://login.example.org",
    "domain": "example.org",
}


def complete(document: dict[str, Any]) -> None:
    """Adds the common descriptions, then an example to every JSON body and success response."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if "description" not in prop:
                text = MINOR_UNITS if name.endswith("_minor") else COMMON_DESCRIPTIONS.get(name)
                if text is not None:
                    prop["description"] = text
    builder = _Builder(schemas)
    operations = [
        op
        for section in ("paths", "webhooks")
        for item in document.get(section, {}).values()
        for method, op in item.items()
        if method in _METHODS
    ]
    for operation in operations:
        body = operation.get("requestBody", {}).get("content", {}).get(JSON)
        if body is not None and "schema" in body:
            body["example"] = builder.example(body["schema"], request=True)
        for status, response in operation.get("responses", {}).items():
            content = response.get("content", {}).get(JSON)
            if str(status).startswith("2") and content is not None and "schema" in content:
                content["example"] = builder.example(content["schema"], request=False)


class _Builder:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def example(self, schema: dict[str, Any], *, request: bool) -> Any:
        return self._value(schema, "", request, depth=0)

    def _value(self, schema: dict[str, Any], name: str, request: bool, depth: int) -> Any:
        if "$ref" in schema:
            target = self.schemas[schema["$ref"].removeprefix(_REF)]
            if "examples" in schema or "default" in schema:
                return self._own(schema, target, name, request, depth)
            return self._value(target, name, request, depth)
        return self._own(schema, schema, name, request, depth)

    def _own(
        self, schema: dict[str, Any], body: dict[str, Any], name: str, request: bool, depth: int
    ) -> Any:
        if schema.get("examples"):
            return schema["examples"][0]
        if "const" in body:
            return body["const"]
        if schema.get("default") is not None:
            return schema["default"]
        if body.get("enum"):
            return body["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in body:
                branches = [b for b in body[key] if b.get("type") != "null"]
                if not branches:
                    return None
                return self._value(branches[0], name, request, depth)
        kind = body.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if kind == "object" or "properties" in body:
            return self._object(body, request, depth)
        if kind == "array":
            item = self._value(body.get("items", {}), _singular(name), request, depth + 1)
            return [item] * max(1, body.get("minItems", 1))
        if kind == "string":
            return _string(body, name)
        if kind in ("integer", "number"):
            return _number(body, name, integer=kind == "integer")
        if kind == "boolean":
            return True
        return None

    def _object(self, schema: dict[str, Any], request: bool, depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", ()))
        if depth > 6:  # a recursive schema: its required part only
            properties = {k: v for k, v in properties.items() if k in required}
        result = {
            key: self._value(prop, key, request, depth + 1)
            for key, prop in properties.items()
            if not request or key in required or _has_own_example(prop)
        }
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and extra:
            keys = schema.get("propertyNames", {})
            key = self._value(keys, "key", request, depth + 1) if keys else "key"
            result[str(key)] = self._value(extra, "value", request, depth + 1)
        return result


def _has_own_example(schema: dict[str, Any]) -> bool:
    if "examples" in schema:
        return True
    return any(_has_own_example(b) for b in schema.get("anyOf", ()) if b.get("type") != "null")


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else name


def _string(schema: dict[str, Any], name: str) -> str:
    pattern = schema.get("pattern")
    candidates = [
        _BY_FORMAT.get(schema.get("format", "")),
        _BY_NAME.get(name),
        _BY_NAME.get(name.rsplit("_", 1)[-1]),
        f"{name.replace('_', ' ') or 'text'}",
    ]
    minimum, maximum = schema.get("minLength", 0), schema.get("maxLength")
    for candidate in candidates:
        if not isinstance(candidate, str):
            continue
        value = candidate.ljust(minimum, "x")
        if maximum is not None:
            value = value[:maximum]
        if pattern is None or re.search(pattern, value):
            return value
    return str(candidates[-1])  # the schema's pattern wants an example of its own: the test says so


def _number(schema: dict[str, Any], name: str, *, integer: bool) -> int | float:
    wanted: int | float = 6500 if name.endswith("_minor") else 2 if name == "quantity" else 1
    low = schema.get("minimum", schema.get("exclusiveMinimum", wanted - 1) + 1)
    high = schema.get("maximum", schema.get("exclusiveMaximum", wanted + 1) - 1)
    value = min(max(wanted, low), high)
    return int(value) if integer else value
