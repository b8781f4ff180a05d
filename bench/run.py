"""Benchmark the local stack: start-up time, p50/p95 of each flow, chat throughput with 1 and 4 workers.

Servers come from the same selection as the tests (``MOBIUS_REDIS_URL`` /
``MOBIUS_POSTGRES_URL``, else testcontainers, else local binaries). The stack
uses Redis database 10; each throughput run uses databases 11-14 and its own
chat API + N workers, so the main stack's worker does not take part. All are
flushed first. Figures depend on the machine:
the script prints its CPU count and load average beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
from mobius_gate.fixtures import servers
from mobius_gate.fixtures.servers import Server, ServerError
from mobius_gate.fixtures.stack.client import Endpoints, StackClient
from mobius_gate.fixtures.stack.launcher import LocalStack, StackError, prepare_database, stop_all, wait_all
from mobius_gate.fixtures.stack.queues import CHAT_QUEUE
from mobius_gate.fixtures.stack.site import LocalSite

DOC = (
    "Runbook {n}. The Memorystore instance mobius-redis runs Redis 7.0 on the basic tier.\n\n"
    "Cloud Run services reach its private IP through the VPC connector mobius-redis-connector. "
    "The maintenance window for cluster c{n} opens at 03:{m:02d} UTC."
)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1]


def timed(fn: Callable[[int], Any], n: int) -> dict[str, float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return {"n": n, "p50_ms": round(percentile(samples, 50), 1), "p95_ms": round(percentile(samples, 95), 1)}


def chat_throughput(stack: LocalStack, workers: int, jobs: int, db_index: int) -> dict[str, float]:
    """Jobs/s of ``workers`` chat workers draining ``jobs`` questions already queued.

    The questions are submitted through a chat API on Redis database ``db_index``
    while the workers, started and idle, listen on ``db_index + 1``; the clock
    starts when the queue is handed over with one atomic ``MOVE`` and stops when
    the database shows every request completed — so it measures the workers,
    not the submission.
    """
    import redis

    submit_url = servers.redis_db_url(stack.redis_url, db_index)
    work_url = servers.redis_db_url(stack.redis_url, db_index + 1)
    servers.flush_redis(submit_url)
    servers.flush_redis(work_url)
    api = stack.spawn("mobius-chat-api", f"bench-api-{workers}", wait=False, REDIS_URL=submit_url)
    pool = [
        stack.spawn(
            "mobius-chat-worker",
            f"bench-worker-{workers}-{i}",
            wait=False,
            REDIS_URL=work_url,
            WORKER_ID=f"bench-{workers}-{i}",
        )
        for i in range(workers)
    ]
    try:
        wait_all([api, *pool])
        client = StackClient(Endpoints(api.url, "", ""), stack.jwt_secret)
        marker = uuid.uuid4().hex[:8]
        with ThreadPoolExecutor(4) as submitters:
            ids = list(
                submitters.map(lambda i: client.ask(f"[{marker}] Which connector reaches Redis? #{i}"), range(jobs))
            )
        client.close()
        started = time.perf_counter()
        moved = redis.Redis.from_url(submit_url).move(CHAT_QUEUE, db_index + 1)
        if not moved:
            raise StackError("throughput run: the submitted jobs were not found in the API's queue")
        with psycopg.connect(stack.database_url, autocommit=True) as conn:
            while True:
                done = conn.execute(
                    "SELECT count(*) FROM chat_requests WHERE id = ANY(%s) AND status IN ('completed', 'failed')",
                    (ids,),
                ).fetchone()[0]
                if done == jobs:
                    break
                if time.perf_counter() - started > 120:
                    raise StackError(f"throughput run with {workers} worker(s): only {done}/{jobs} done in 120s")
                time.sleep(0.01)
        elapsed = time.perf_counter() - started
        with psycopg.connect(stack.database_url) as conn:
            failed = conn.execute(
                "SELECT count(*) FROM chat_requests WHERE id = ANY(%s) AND status <> 'completed'", (ids,)
            ).fetchone()[0]
        if failed:
            raise StackError(f"throughput run with {workers} worker(s): {failed}/{jobs} requests failed")
    finally:
        stop_all([api, *pool])
    return {"workers": workers, "jobs": jobs, "seconds": round(elapsed, 2), "jobs_per_s": round(jobs / elapsed, 1)}


def start_servers() -> tuple[Server, Server, str]:
    probe = servers.probe_docker()
    given_redis, given_pg = servers.given_url("redis", None), servers.given_url("postgres", None)
    redis_server = servers.start_redis(servers.choose_source(given_redis, probe), given_redis)
    try:
        postgres_server = servers.start_postgres(servers.choose_source(given_pg, probe), given_pg)
    except ServerError:
        redis_server.stop()  # do not leave it (and its temp dir) behind
        raise
    return redis_server, postgres_server, probe.describe()


def run(iterations: int, jobs: int) -> dict[str, Any]:
    report: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    t0 = time.perf_counter()
    redis_server, postgres_server, docker = start_servers()
    t1 = time.perf_counter()
    name = f"mobius_chat_bench_{uuid.uuid4().hex[:6]}"
    stack = None
    workdir = tempfile.TemporaryDirectory(prefix="mobius-bench-")
    try:
        database = prepare_database(postgres_server.url, name)
        t2 = time.perf_counter()
        stack_redis = servers.redis_db_url(redis_server.url, 10)
        servers.flush_redis(stack_redis)
        stack = LocalStack(stack_redis, database, Path(workdir.name)).start()
        t3 = time.perf_counter()
        report["servers"] = f"redis={redis_server.source}, postgres={postgres_server.source} ({docker})"
        report["startup_s"] = {
            "servers": round(t1 - t0, 2),
            "database": round(t2 - t1, 2),
            "services": round(t3 - t2, 2),
            "total": round(t3 - t0, 2),
        }
        endpoints = Endpoints(stack["mobius-chat-api"].url, stack["mobius-rag"].url, stack["mobius-skills-scraper"].url)
        client = StackClient(endpoints, stack.jwt_secret)
        with LocalSite({"/page.html": "<title>Bench</title><p>Scraped text for the benchmark.</p>"}) as site:
            flows = {
                "rag_ingest (upload→embedded)": lambda i: client.wait_document(
                    client.upload(f"doc{i}.md", DOC.format(n=i, m=i % 60))["id"]
                ),
                "rag_search": lambda i: client.search(f"When does the maintenance window for cluster c{i} open?"),
                "chat (submit→answer)": lambda i: client.wait_answer(
                    client.ask(f"When does the maintenance window for cluster c{i} open?"), poll=0.01
                ),
                "scraper (submit→stored)": lambda i: client.wait_scrape(
                    client.scrape(f"{site.url}/page.html"), poll=0.01
                ),
            }
            report["latency"] = {flow: timed(fn, iterations) for flow, fn in flows.items()}
        client.close()
        report["chat_throughput"] = [chat_throughput(stack, n, jobs, db) for n, db in ((1, 11), (4, 13))]
    finally:
        try:
            if stack is not None:
                stack.stop()
            servers.drop_database(postgres_server.url, name)
        finally:  # the servers and the temp dir go even if the drop fails
            redis_server.stop()
            postgres_server.stop()
            workdir.cleanup()
    return report


def render(report: dict[str, Any]) -> str:
    s = report["startup_s"]
    lines = [
        f"mobius-gate bench — {report['cpus']} CPUs, load average {report['load_avg_1m']} at start",
        f"servers: {report['servers']}",
        f"stack up: {s['total']:.2f}s (servers {s['servers']:.2f}s, database+migrations {s['database']:.2f}s, "
        f"7 services {s['services']:.2f}s)",
        "",
        f"{'flow':32} {'n':>4} {'p50 ms':>9} {'p95 ms':>9}",
    ]
    for flow, row in report["latency"].items():
        lines.append(f"{flow:32} {row['n']:>4} {row['p50_ms']:>9.1f} {row['p95_ms']:>9.1f}")
    lines += ["", f"{'chat workers':32} {'jobs':>4} {'seconds':>9} {'jobs/s':>9}"]
    for row in report["chat_throughput"]:
        lines.append(f"{row['workers']:<32} {row['jobs']:>4} {row['seconds']:>9.2f} {row['jobs_per_s']:>9.1f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20, help="runs of each flow (default 20)")
    parser.add_argument("--jobs", type=int, default=400, help="chat jobs per throughput run (default 400)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.jobs < 1:
        parser.error("--iterations and --jobs must be at least 1")
    try:
        report = run(args.iterations, args.jobs)
    except (ServerError, StackError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(render(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0
