"""Pre-deploy gate: an inventory from exported service definitions in a directory.

Every ``*.yaml`` / ``*.yml`` / ``*.json`` file directly in the directory is read
(several YAML documents per file are fine). A service is identified by its own
name, never by the file name. Accepted documents:

* Knative ``serving.knative.dev/v1`` Service — ``gcloud run services describe S --format=export``
  or the v1 API;
* Cloud Run v2 ``Service`` JSON as the API returns it, a JSON list of them, or a
  ``services.list`` response (``{"services": [...]}``);
* an inventory saved with ``--save-gate-inventory`` (its ``services.items``).

The ``services`` section is ``ok``; every other section is
``not_collected("not in snapshot DIR")``. Any problem → one :class:`SnapshotError`
naming the file (and the line, for YAML and JSON syntax errors); so do binary or
UTF-16 files, control characters, repeated keys, absurd nesting
(:mod:`mobius_gate.strict_input`) and a service without a revision template.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mobius_gate.collect.normalize import (
    WireError,
    is_knative_service,
    service_from_knative,
    service_from_v2,
)
from mobius_gate.inventory import SECTIONS, Inventory, Section, Service
from mobius_gate.redact import seal, seal_args, seal_text
from mobius_gate.strict_input import InputError, decode_utf8, json_document, yaml_documents

SUFFIXES = (".yaml", ".yml", ".json")


class SnapshotError(Exception):
    """A snapshot that cannot be used; the message names the file (and line)."""


def load_snapshot(directory: str | Path, project: str, region: str) -> Inventory:
    """The inventory of the service definitions in ``directory``."""
    root = Path(directory)
    if not root.is_dir():
        raise SnapshotError(f"{root}: snapshot directory not found")
    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise SnapshotError(f"{root}: no *.yaml, *.yml or *.json files in the snapshot directory")
    services: dict[str, tuple[Service, str]] = {}
    for path in files:
        for where, service in _services_in(path, project):
            if service.name in services:
                raise SnapshotError(f"{where}: service {service.name!r} is also defined at {services[service.name][1]}")
            if service.region is None:
                service = service.model_copy(update={"region": region})
            services[service.name] = (service, where)
    cause = f"not in snapshot {root}"
    data: dict[str, Any] = {name: Section.not_collected(cause).model_dump() for name in SECTIONS}
    data["services"] = Section[Service](items=[s for s, _ in services.values()]).model_dump()
    return Inventory.model_validate({"project": project, "region": region, "source": f"snapshot:{root}", **data})


def _services_in(path: Path, project: str) -> Iterator[tuple[str, Service]]:
    """(``file:line`` of the document, service) for every service in one file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        documents = list(_documents(path, decode_utf8(raw)))
    except InputError as exc:
        raise SnapshotError(exc.where(path)) from None
    for where, doc in documents:
        for form, service_doc in _service_docs(where, doc):
            try:
                if form == "inventory":
                    yield where, sealed_service(Service.model_validate(service_doc))
                elif is_knative_service(service_doc):
                    yield where, service_from_knative(service_doc, project)
                else:
                    yield where, service_from_v2(service_doc)
            except (WireError, ValidationError, KeyError, TypeError, AttributeError) as exc:
                raise SnapshotError(f"{where}: not a usable Cloud Run service: {_one_line(exc)}") from None


def sealed_service(service: Service) -> Service:
    """``service`` (e.g. from a saved inventory) with every free text sealed as the normalizers seal it."""
    env = [v if v.secret_ref else v.model_copy(update={"value": seal(v.name, v.value)}) for v in service.env]
    return service.model_copy(
        update={
            "env": env,
            "command": seal_args(service.command),
            "args": seal_args(service.args),
            "ready_message": seal_text(service.ready_message),
        }
    )


def _documents(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    """(``file:line``, document) for every non-empty document; problems raise InputError."""
    if path.suffix.lower() == ".json":
        yield f"{path}", json_document(text)
        return
    for node, doc in yaml_documents(text):
        if doc is not None:
            yield f"{path}:{node.start_mark.line + 1}", doc


def _service_docs(where: str, doc: Any) -> Iterator[tuple[str, Any]]:
    """(form, service object) inside one document: a service, a list, a list response, an inventory.

    ``form`` is ``"inventory"`` for an already normalized service, else ``"wire"``.
    """
    if isinstance(doc, list):
        for item in doc:
            yield from _service_docs(where, item)
        return
    if not isinstance(doc, dict):
        raise SnapshotError(f"{where}: expected a Cloud Run service object, got {type(doc).__name__}")
    services = doc.get("services")
    if isinstance(services, dict) and "project" in doc:  # a saved Inventory
        if services.get("status", "ok") != "ok":
            raise SnapshotError(f"{where}: saved inventory has no services ({services.get('cause')})")
        yield from (("inventory", item) for item in services.get("items") or [])
    elif isinstance(services, list) and "template" not in doc:  # a v2 services.list response
        for item in services:
            yield from _service_docs(where, item)
    elif is_knative_service(doc) or "template" in doc:
        _require_template(where, doc)
        yield "wire", doc
    elif doc.get("kind") == "ServiceList" and isinstance(doc.get("items"), list):  # v1 list response
        for item in doc["items"]:
            yield from _service_docs(where, item)
    else:
        kind = doc.get("kind") or "unknown"
        raise SnapshotError(
            f"{where}: not a Cloud Run service (kind {kind!r}): expected Knative "
            "serving.knative.dev/v1 Service YAML, Cloud Run v2 Service JSON or a saved inventory"
        )


def _require_template(where: str, doc: dict[str, Any]) -> None:
    """A service without a revision template describes nothing deployable: it is malformed, not conformant."""
    knative = is_knative_service(doc)
    spec = doc.get("spec") if knative else doc
    template = spec.get("template") if isinstance(spec, dict) else None
    if not isinstance(template, dict) or not template:
        name = ((doc.get("metadata") or {}) if knative else doc).get("name") or "(unnamed)"
        field = "spec.template" if knative else "template"
        raise SnapshotError(f"{where}: service {name!r} has no {field}: malformed service definition")


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc).split("\n", 1)[0]
