"""Benchmark the gate's start-up: whole processes, timed from outside, against a bare pytest import.

Prints the median wall and CPU (user + system) seconds of N runs, after one warm-up, of (run
round-robin, so a change of load during the benchmark falls on every command alike):

* ``python -c "import pytest"`` — the yardstick;
* ``python -c "import mobius_gate.plugin"`` — what every pytest run in this venv pays for the plugin;
* ``pytest checks --collect-only`` and ``pytest checks --list-requirements`` — no API, no client;
* ``pytest checks --emulator=staging`` — the whole gate on the in-process emulator;

and each one's ratio to the yardstick (the issue's target: the emulator gate run within 10x).
Bytecode is cached as in a normal install (``PYTHONDONTWRITEBYTECODE`` is dropped; the cache goes
to a temporary ``PYTHONPYCACHEPREFIX``, not into the checkout); the warm-up fills it.

Usage: ``python -m bench.startup [--runs N] [--json FILE]``. Figures depend on the machine: the
CPU count and load average are printed beside them; on a busy machine trust the CPU column.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
LOOPBACK_ENV = {"NO_GCE_CHECK": "True", "GCE_METADATA_HOST": "127.0.0.1:9", "GCE_METADATA_IP": "127.0.0.1:9"}
PYTEST = [sys.executable, "-m", "pytest", "checks", "-q", "-p", "no:cacheprovider"]
COMMANDS: dict[str, list[str]] = {
    "import pytest (bare)": [sys.executable, "-c", "import pytest"],
    "import mobius_gate.plugin": [sys.executable, "-c", "import mobius_gate.plugin"],
    "pytest checks --collect-only": [*PYTEST, "--collect-only"],
    "pytest checks --list-requirements": [*PYTEST, "--list-requirements"],
    "pytest checks --emulator=staging": [*PYTEST, "--emulator=staging"],
}
#: Exit codes that mean the command did its job (the gate exits 1 on a non-conformant project).
ACCEPTED = (0, 1, 6)  # the gate: conformant, deviations, INCOMPLETE (mobius_gate.release)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process."""
    cpu_before, started = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - started, _children_cpu() - cpu_before
    if proc.returncode not in ACCEPTED:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr[-500:] or proc.stdout[-500:]}")
    return wall, cpu


def measure_all(commands: dict[str, list[str]], env: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    """Every command ``runs`` times, round-robin after one warm-up each, so a change of machine load
    during the benchmark falls on all of them alike (the ratios are what the target is about)."""
    for cmd in commands.values():
        run_once(cmd, env)  # warm-up: bytecode and pytest's rewritten checks cached
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(run_once(cmd, env))
    return {name: summary(found) for name, found in samples.items()}


def summary(samples: list[tuple[float, float]]) -> dict[str, float]:
    return {
        "wall_s": round(statistics.median(w for w, _ in samples), 3),
        "cpu_s": round(statistics.median(c for _, c in samples), 3),
        "wall_min_s": round(min(w for w, _ in samples), 3),
        "wall_max_s": round(max(w for w, _ in samples), 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f}; median of {args.runs} runs after a warm-up")
    results: dict[str, Any] = {"cpus": os.cpu_count(), "load": load, "runs": args.runs, "commands": {}}
    with tempfile.TemporaryDirectory(prefix="mobius-gate-pycache-") as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(LOOPBACK_ENV, PYTHONPYCACHEPREFIX=cache)
        results["commands"] = measure_all(COMMANDS, env, args.runs)
    bare = results["commands"]["import pytest (bare)"]
    print(f"  {'command':<36} {'wall s':>7} {'(min-max)':>13} {'cpu s':>6} {'x bare wall':>11} {'x bare cpu':>10}")
    for name, row in results["commands"].items():
        row["x_bare_wall"] = round(row["wall_s"] / bare["wall_s"], 1)
        row["x_bare_cpu"] = round(row["cpu_s"] / bare["cpu_s"], 1)
        spread = f"{row['wall_min_s']:.2f}-{row['wall_max_s']:.2f}"
        print(
            f"  {name:<36} {row['wall_s']:>7.3f} {spread:>13} {row['cpu_s']:>6.3f} "
            f"{row['x_bare_wall']:>10.1f}x {row['x_bare_cpu']:>9.1f}x"
        )
    print("  target: the emulator gate run within 10x a bare `import pytest`")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
