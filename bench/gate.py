"""Benchmark the release gate itself: inventory collection and whole-gate wall time on the emulator.

Prints, for the bundled ``staging`` scenario (10 services, everything present):

* inventory collection time (p50/p95 of N runs) with 0, 25 and 100 ms injected latency per
  request, and the requests one collection makes — collection runs its list calls
  concurrently, so time should grow with the longest chain of calls, not their number;
* the same with 20 % injected 429/503 faults (retried), and whether the inventory matched;
* wall time of ``pytest checks --emulator=URL`` serially and with ``-n 4`` (one collection either way).

Usage: ``python -m bench.gate [--runs N] [--json FILE]``. Figures depend on the machine;
the CPU count and load average are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mobius_gate.fixtures.emulator import Emulator

from mobius_gate.collect import collect_inventory
from mobius_gate.collect.target import CollectOptions, Target

PROJECT, REGION = "mobiusos-new", "us-central1"
REPO = Path(__file__).resolve().parent.parent
LOOPBACK_ENV = {"NO_GCE_CHECK": "True", "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


#: Sections that hold configuration (health latencies and log timestamps are live values).
RESOURCE_SECTIONS = {"apis", "services", "redis_instances", "connectors", "secrets", "sql_instances"}


def _comparable(inventory: Any) -> str:
    return inventory.model_dump_json(include=RESOURCE_SECTIONS)


def collection(emu: Emulator, runs: int, latency_ms: float, fault_rate: float) -> dict[str, Any]:
    emu.configure(latency_ms=latency_ms, fault_rate=fault_rate)
    options = CollectOptions(retry_initial_s=0.01, retry_max_s=0.1, retry_attempts=8)
    target = Target(PROJECT, REGION, emu.url)
    times, requests, faults, shapes = [], [], [], set()
    for _ in range(runs):
        emu.reset_stats()
        started = time.perf_counter()
        inventory = collect_inventory(target, options)
        times.append(time.perf_counter() - started)
        stats = emu.stats()
        requests.append(stats["total"])
        faults.append(stats["faults"])
        shapes.add(_comparable(inventory))
    p50, p95 = _quantiles(times)
    return {
        "latency_ms": latency_ms,
        "fault_rate": fault_rate,
        "p50_s": round(p50, 3),
        "p95_s": round(p95, 3),
        "requests": statistics.median(requests),
        "faults_injected": sum(faults),
        "same_resources_every_run": len(shapes) == 1,
    }


def gate_wall_time(url: str, *extra: str) -> float:
    env = {**os.environ, **LOOPBACK_ENV}
    cmd = [sys.executable, "-m", "pytest", "checks", f"--emulator={url}", "-q", "-p", "no:cacheprovider", *extra]
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"gate run failed ({proc.returncode}): {proc.stderr[-500:] or proc.stdout[-500:]}")
    return round(elapsed, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="collections per setting (default 7)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    os.environ.update(LOOPBACK_ENV)

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}")
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load": load, "collection": []}
    with Emulator("staging", project=PROJECT, seed=7) as emu:
        print("inventory collection, staging scenario:")
        print(
            f"  {'latency':>8} {'faults':>6} {'p50 s':>7} {'p95 s':>7} {'requests':>8} {'faults*':>8}  same resources"
        )
        for latency, faults in ((0, 0.0), (25, 0.0), (100, 0.0), (25, 0.2)):
            row = collection(emu, args.runs, latency, faults)
            results["collection"].append(row)
            print(
                f"  {latency:>6}ms {faults:>6.0%} {row['p50_s']:>7.3f} {row['p95_s']:>7.3f} {row['requests']:>8.0f} "
                f"{row['faults_injected']:>8}  {row['same_resources_every_run']}"
            )
        print("  (requests: median per collection, retries included; faults*: injected over all runs)")
        emu.configure(latency_ms=0, fault_rate=0.0)
        serial = gate_wall_time(emu.url)
        parallel = gate_wall_time(emu.url, "-n", "4")
    results["gate_wall_s"] = {"serial": serial, "xdist_4": parallel}
    print(f"pytest checks --emulator=staging (all phases): serial {serial} s, -n 4 {parallel} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
