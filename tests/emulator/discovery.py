"""A small validator for response bodies against Google's discovery documents.

The GAPIC clients silently drop unknown fields, so this is the guard that the
emulator's JSON is what Google's server sends: ``$ref``, types, int64/uint64 as
strings, enums, arrays, objects and ``additionalProperties``. An unknown field, a
wrong type or an unknown enum value is an error.
"""

from __future__ import annotations

import base64
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
_PLACEHOLDER = re.compile(r"\{[^}]+\}")

#: ``@type`` of an ``Any`` payload → (discovery document, schema).
ANY_TYPES = {
    "google.cloud.run.v2.Service": ("run.v2", "GoogleCloudRunV2Service"),
    "google.cloud.redis.v1.Instance": ("redis.v1", "Instance"),
    "google.cloud.redis.v1.OperationMetadata": ("redis.v1", "OperationMetadata"),
    "google.cloud.vpcaccess.v1.Connector": ("vpcaccess.v1", "Connector"),
    "google.cloud.vpcaccess.v1.OperationMetadata": ("vpcaccess.v1", "OperationMetadata"),
    "google.api.serviceusage.v1.OperationMetadata": ("serviceusage.v1", "OperationMetadata"),
    "google.api.serviceusage.v1.EnableServiceResponse": ("serviceusage.v1", "EnableServiceResponse"),
    "google.api.serviceusage.v1.DisableServiceResponse": ("serviceusage.v1", "DisableServiceResponse"),
    "google.api.serviceusage.v1.BatchEnableServicesResponse": ("serviceusage.v1", "BatchEnableServicesResponse"),
}
#: ``@type`` of an ``Any`` that carries no fields (a delete's result).
EMPTY = "google.protobuf.Empty"


@cache
def document(name: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))


def _methods(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(node.get("methods", {}).values())
    for child in node.get("resources", {}).values():
        out.extend(_methods(child))
    return out


def _segments(path: str) -> list[str]:
    return [_PLACEHOLDER.sub("{}", s) for s in path.strip("/").split("/")]


def discovery_method(doc_name: str, method: str, template: str) -> dict[str, Any]:
    """The discovery method serving ``method template`` (the most literal match of its flat path)."""
    want = _segments(template)
    matches = []
    for meth in _methods(document(doc_name)):
        if meth["httpMethod"] != method:
            continue
        have = _segments(meth.get("flatPath", meth["path"]))
        if len(have) == len(want) and all(h in ("{}", w) for h, w in zip(have, want, strict=True)):
            exact = sum(h == w for h, w in zip(have, want, strict=True))
            matches.append((exact, meth))
    if not matches:
        raise LookupError(f"{doc_name}: no discovery method for {method} {template}")
    return max(matches, key=lambda m: m[0])[1]


def response_schema(doc_name: str, method: str, template: str) -> str | None:
    """The response schema of the discovery method serving ``method template`` (None: empty body)."""
    return discovery_method(doc_name, method, template).get("response", {}).get("$ref")


def request_schema(doc_name: str, method: str, template: str) -> str | None:
    """The request-body schema of that method (None: it takes no body)."""
    return discovery_method(doc_name, method, template).get("request", {}).get("$ref")


class SchemaValidator:
    """Validate JSON values against one discovery document's schemas."""

    def __init__(self, doc_name: str, *, int_enums: bool = False) -> None:
        self.doc_name = doc_name
        self.schemas = document(doc_name)["schemas"]
        self.int_enums = int_enums

    def validate(self, value: Any, schema: str) -> list[str]:
        errs: list[str] = []
        self._check(value, {"$ref": schema}, f"{self.doc_name}:{schema}", errs)
        return errs

    def _check(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if "$ref" in schema:
            ref = schema["$ref"]
            if ref not in self.schemas:
                errs.append(f"{path}: unknown schema {ref}")
                return
            schema = self.schemas[ref]
        kind = schema.get("type", "any")
        checker = getattr(self, f"_{kind}", None)
        if checker is None:
            errs.append(f"{path}: unsupported schema type {kind}")
            return
        checker(value, schema, path, errs)

    def _any(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if isinstance(value, dict) and "@type" in value:
            self._packed(value, path, errs)

    def _packed(self, value: dict[str, Any], path: str, errs: list[str]) -> None:
        type_name = str(value["@type"]).removeprefix("type.googleapis.com/")
        if type_name == EMPTY:
            if set(value) != {"@type"}:
                errs.append(f"{path}: google.protobuf.Empty with fields {sorted(set(value) - {'@type'})}")
            return
        if type_name not in ANY_TYPES:
            errs.append(f"{path}: Any payload of unknown type {type_name}")
            return
        doc, schema = ANY_TYPES[type_name]
        inner = SchemaValidator(doc, int_enums=self.int_enums)
        body = {k: v for k, v in value.items() if k != "@type"}
        errs.extend(inner.validate(body, schema))

    def _object(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if not isinstance(value, dict):
            errs.append(f"{path}: expected object, got {type(value).__name__}")
            return
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        if "@type" in value and not props:
            self._packed(value, path, errs)
            return
        for key, item in value.items():
            if key in props:
                self._check(item, props[key], f"{path}.{key}", errs)
            elif extra is not None:
                self._check(item, extra, f"{path}[{key!r}]", errs)
            else:
                errs.append(f"{path}: unknown field {key!r}")

    def _array(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if not isinstance(value, list):
            errs.append(f"{path}: expected array, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            self._check(item, schema.get("items", {}), f"{path}[{index}]", errs)

    def _string(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if "enum" in schema:
            if self.int_enums and isinstance(value, int) and not isinstance(value, bool):
                if not 0 <= value < 1000:
                    errs.append(f"{path}: enum number {value} out of range")
                return
            if value not in schema["enum"]:
                errs.append(f"{path}: {value!r} is not one of {schema['enum']}")
            return
        if not isinstance(value, str):
            errs.append(f"{path}: expected string, got {type(value).__name__} {value!r}")
            return
        fmt = schema.get("format")
        if fmt in ("int64", "uint64"):
            if not re.fullmatch(r"-?\d+" if fmt == "int64" else r"\d+", value):
                errs.append(f"{path}: {fmt} string expected, got {value!r}")
        elif fmt == "google-duration" and not _DURATION.match(value):
            errs.append(f"{path}: duration expected, got {value!r}")
        elif fmt in ("google-datetime", "date-time") and not _DATETIME.match(value):
            errs.append(f"{path}: RFC 3339 timestamp expected, got {value!r}")
        elif fmt == "byte":
            try:
                base64.b64decode(value.replace("-", "+").replace("_", "/") + "==")
            except ValueError:
                errs.append(f"{path}: base64 expected, got {value!r}")

    def _integer(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            errs.append(f"{path}: expected integer, got {type(value).__name__} {value!r}")
        elif schema.get("format") in ("uint32",) and value < 0:
            errs.append(f"{path}: uint32 must not be negative")

    def _number(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if not isinstance(value, int | float) or isinstance(value, bool):
            errs.append(f"{path}: expected number, got {type(value).__name__}")

    def _boolean(self, value: Any, schema: dict[str, Any], path: str, errs: list[str]) -> None:
        if not isinstance(value, bool):
            errs.append(f"{path}: expected boolean, got {type(value).__name__}")
