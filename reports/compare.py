"""Staging vs production: the checklist's "Executive Summary" table, generated from two inventories (pure).

Left column: the compared target (the reference, e.g. staging); right: this run's project (e.g.
production); "Action Required" says what the right side needs to match. Rows as the checklist has
them — services (count and names), Redis, VPC connector, Vertex AI, Cloud SQL IP mode — plus the
required APIs and secrets, then every per-service setting that differs between the two. Values are
compared with each side's project id and number written ``{project}``; env values are never shown,
only whether a variable is a plain value or a Secret Manager reference.
"""

from __future__ import annotations

from typing import Any

from mobius_gate.inventory import Inventory, Service
from mobius_gate.redact import redact
from mobius_gate.spec import Checklist

VERTEX = "aiplatform.googleapis.com"
YES, NO, UNKNOWN = "✅", "❌", "❓"
#: Service settings compared one by one (name in the table → how to read it).
_FLAGS = (
    "image",
    "service_account",
    "cpu_always_allocated",
    "min_instances",
    "max_instances",
    "timeout_seconds",
    "vpc_connector",
    "vpc_egress",
    "cloudsql_instances",
    "ingress",
    "ready",
)


def side_label(spec: Checklist, project: str, fallback: str) -> str:
    """``Staging``/``Production`` when the project is a checklist profile's, else ``fallback``."""
    for name, profile in spec.profiles.items():
        if profile.project == project:
            return name.capitalize()
    return fallback


def _unknown(inv: Inventory, section: str) -> str | None:
    sec = inv.section(section)
    return None if sec.judgeable else f"{UNKNOWN} unknown ({redact(sec.cause) or sec.status})"


def _services(left: Inventory, right: Inventory) -> dict[str, Any]:
    ln, rn = [s.name for s in left.services.items], [s.name for s in right.services.items]
    missing, extra = [n for n in ln if n not in rn], [n for n in rn if n not in ln]
    actions = [f"Deploy {len(missing)} new service{'s' * (len(missing) != 1)}: {', '.join(missing)}"] if missing else []
    actions += [f"{len(extra)} only on this side: {', '.join(extra)}"] if extra else []
    return {
        "item": "Services",
        "left": _unknown(left, "services") or f"{len(ln)} services",
        "right": _unknown(right, "services") or f"{len(rn)} services",
        "left_names": ln,
        "right_names": rn,
        "action": "; ".join(actions) or "—",
    }


def _api_off(inv: Inventory, api: str) -> bool:
    return inv.apis.ok and api not in inv.apis.items


def _resource_row(item: str, what: str, api: str, found: dict[str, bool], invs: tuple[Inventory, Inventory]) -> dict:
    """Redis / VPC connector: present (✅), API disabled (❌ Not enabled) or not created (❌)."""
    section = "redis_instances" if item == "Redis" else "connectors"
    cells = []
    for inv, present in zip(invs, (found["left"], found["right"]), strict=True):
        if present:
            cells.append(f"{YES} {what}")
        elif _api_off(inv, api) or inv.section(section).status == "disabled":
            cells.append(f"{NO} Not enabled")
        else:
            cells.append(_unknown(inv, section) or f"{NO} Not created")
    noun = "instance" if item == "Redis" else "connector"
    action = "—"
    if not found["right"]:
        action = f"Enable API + create {noun}" if "Not enabled" in cells[1] else f"Create {noun}"
    return {"item": item, "left": cells[0], "right": cells[1], "action": action}


def _apis(spec: Checklist, left: Inventory, right: Inventory) -> list[dict[str, Any]]:
    def vertex(inv: Inventory) -> str:
        return _unknown(inv, "apis") or (f"{YES} Enabled" if VERTEX in inv.apis.items else f"{NO} Not enabled")

    def missing(inv: Inventory) -> list[str]:
        return [a for a in spec.apis.required if a not in inv.apis.items]

    def cell(inv: Inventory) -> str:
        gone = missing(inv)
        n = len(spec.apis.required)
        text = (
            f"{YES} {n}/{n} required enabled" if not gone else f"{NO} {n - len(gone)}/{n} (missing {', '.join(gone)})"
        )
        return _unknown(inv, "apis") or text

    need = missing(right) if right.apis.ok else []
    return [
        {
            "item": "Vertex AI",
            "left": vertex(left),
            "right": vertex(right),
            "action": f"Enable {VERTEX}" if VERTEX in need else "—",
        },
        {
            "item": "APIs",
            "left": cell(left),
            "right": cell(right),
            "action": f"Enable {', '.join(need)}" if need else "—",
        },
    ]


def _ip_mode(spec: Checklist, inv: Inventory) -> str:
    instance = inv.sql_instance(spec.cloud_sql.instance)
    if instance is None:
        return _unknown(inv, "sql_instances") or f"{NO} no instance {spec.cloud_sql.instance}"
    private, public = bool(instance.private_network), bool(instance.public_ip)
    return {(True, False): "Private IP", (False, True): "Public IP", (True, True): "Private + public IP"}.get(
        (private, public), "no IP"
    )


def _secrets(spec: Checklist, left: Inventory, right: Inventory) -> dict[str, Any]:
    def have(inv: Inventory) -> list[str]:
        return [n for n in spec.secrets.required if inv.secret(n) is not None]

    def cell(inv: Inventory) -> str:
        return _unknown(inv, "secrets") or f"{len(have(inv))}/{len(spec.secrets.required)} required"

    need = [n for n in spec.secrets.required if n not in have(right)] if right.secrets.ok else []
    return {
        "item": "Secrets",
        "left": cell(left),
        "right": cell(right),
        "action": f"Create {', '.join(need)}" if need else "—",
    }


def _normal(value: Any, inv: Inventory) -> str:
    if value is None or value == []:
        return "unset"
    text = value if isinstance(value, str) else repr(value) if not isinstance(value, list) else ", ".join(value)
    return (redact(str(text)) or "").replace(inv.project, "{project}")


def _env_kinds(svc: Service) -> dict[str, str]:
    return {e.name: (f"secret {e.secret_ref.secret}" if e.secret_ref else "plain value") for e in svc.env}


def service_flags(left: Inventory, right: Inventory) -> list[dict[str, str]]:
    """Every per-service setting that differs, for the services both sides run."""
    rows: list[dict[str, str]] = []
    for lsvc in left.services.items:
        rsvc = right.service(lsvc.name)
        if rsvc is None:
            continue
        for flag in _FLAGS:
            lv, rv = _normal(getattr(lsvc, flag), left), _normal(getattr(rsvc, flag), right)
            if lv != rv:
                rows.append({"service": lsvc.name, "flag": flag, "left": lv, "right": rv})
        lenv, renv = _env_kinds(lsvc), _env_kinds(rsvc)
        for name in sorted(set(lenv) | set(renv)):
            if lenv.get(name) != renv.get(name):
                row = {"left": lenv.get(name, "unset"), "right": renv.get(name, "unset")}
                rows.append({"service": lsvc.name, "flag": f"env {name}", **row})
    return rows


def gap(spec: Checklist, left: Inventory, right: Inventory, labels: tuple[str, str]) -> dict[str, Any]:
    """The Executive Summary table: ``left`` (the reference) vs ``right`` (this run) and what ``right`` needs."""
    sides = (("left", left), ("right", right))
    found = {
        "Redis": {side: inv.redis_instance(spec.redis.name) is not None for side, inv in sides},
        "VPC": {side: inv.connector(spec.vpc_connector.name) is not None for side, inv in sides},
    }
    lip, rip = _ip_mode(spec, left), _ip_mode(spec, right)
    rows = [
        _services(left, right),
        _resource_row("Redis", "Memorystore", "redis.googleapis.com", found["Redis"], (left, right)),
        _resource_row(
            "VPC Connector", f"`{spec.vpc_connector.name}`", "vpcaccess.googleapis.com", found["VPC"], (left, right)
        ),
        *_apis(spec, left, right),
        {
            "item": "Cloud SQL",
            "left": lip,
            "right": rip,
            "action": "Consider private for security" if "Public" in rip and lip == "Private IP" else "—",
        },
        _secrets(spec, left, right),
    ]
    return {
        "left": {"label": labels[0], "project": left.project, "source": left.source},
        "right": {"label": labels[1], "project": right.project, "source": right.source},
        "rows": rows,
        "service_flags": service_flags(left, right),
    }


def gap_markdown(table: dict[str, Any]) -> list[str]:
    """The table as the checklist writes it, then the per-service differences."""
    left, right = table["left"]["label"], table["right"]["label"]
    lines = [
        f"## Executive Summary: {left} → {right} Gap",
        "",
        f"| Item | {left} | {right} | Action Required |",
        "|------|---------|------------|-----------------|",
    ]
    lines += [f"| **{r['item']}** | {r['left']} | {r['right']} | {r['action']} |" for r in table["rows"]]
    flags = table["service_flags"]
    if flags:
        lines += ["", f"### Per-service settings that differ ({len(flags)})", ""]
        lines += [f"| Service | Setting | {left} | {right} |", "|---|---|---|---|"]
        lines += [f"| {f['service']} | {f['flag']} | {f['left']} | {f['right']} |" for f in flags]
    return lines
