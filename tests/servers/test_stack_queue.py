"""The reliable queue on a real Redis: nothing taken is lost when its consumer dies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis
from mobius_gate.fixtures.stack.queues import consume
from mobius_gate.fixtures.stack.reliable_queue import Consumer, Job, ReliableQueue

pytestmark = pytest.mark.servers


@pytest.fixture
def queue(redis_db: str) -> ReliableQueue:
    return ReliableQueue(redis.Redis.from_url(redis_db, decode_responses=True), "test:q")


@pytest.fixture
def make_consumer(queue: ReliableQueue) -> Iterator[Callable[..., Consumer]]:
    """``make_consumer(id, **kw)``: a Consumer on ``queue`` whose heartbeat thread is stopped after the test
    (a "crashed" consumer's thread would otherwise keep writing leases into a Redis database other
    tests flush and reuse)."""
    made: list[Consumer] = []

    def _make(consumer_id: str, **kwargs: float) -> Consumer:
        made.append(Consumer(queue, consumer_id, **kwargs))  # type: ignore[arg-type]
        return made[-1]

    yield _make
    for each in made:
        each.stop()


def test_fifo_take_keeps_job_until_ack(queue: ReliableQueue, make_consumer: Callable[..., Consumer]) -> None:
    first, second = queue.push({"n": 1}), queue.push({"n": 2})
    consumer = make_consumer("c1", lease_s=5)
    consumer.start()
    job = consumer.take(timeout=1)
    assert job is not None and job.id == first and job.data["n"] == 1
    assert queue.in_flight() == {"c1": 1}
    consumer.ack(job)
    assert queue.in_flight() == {}
    assert consumer.take(timeout=1).id == second  # type: ignore[union-attr]
    consumer.stop()


def test_take_times_out_empty(queue: ReliableQueue, make_consumer: Callable[..., Consumer]) -> None:
    consumer = make_consumer("c1", lease_s=5)
    started = time.monotonic()
    assert consumer.take(timeout=0.2) is None
    assert time.monotonic() - started < 1.5


def test_restarted_consumer_takes_back_its_unfinished_job(
    queue: ReliableQueue, make_consumer: Callable[..., Consumer]
) -> None:
    job_id = queue.push({"n": 1})
    crashed = make_consumer("worker-a", lease_s=30)
    crashed.start()
    assert crashed.take(timeout=1) is not None  # ... and the process dies without ack or stop
    restarted = make_consumer("worker-a", lease_s=30)
    assert restarted.start() == 1
    again = restarted.take(timeout=1)
    assert again is not None and again.id == job_id
    assert restarted.deliveries(again) == 2


def test_dead_consumers_jobs_are_reaped_after_its_lease(
    queue: ReliableQueue, make_consumer: Callable[..., Consumer]
) -> None:
    job_id = queue.push({"n": 1})
    dead = make_consumer("worker-a", lease_s=1.5)  # long enough to still be current below, even under load
    leased_at = time.monotonic()
    dead.start()
    assert dead.take(timeout=1) is not None
    dead._stop.set()  # the heartbeat dies with the process; the lease runs out
    other = make_consumer("worker-b", lease_s=0.3)  # heartbeat (and reaping) every 0.1 s
    other.start()
    assert other.take(timeout=0.1) is None, "not while worker-a's lease is current"
    job = other.take(timeout=5.0)  # blocks until worker-b's heartbeat reaps the job after the lease expires
    assert job is not None and job.id == job_id
    assert time.monotonic() - leased_at >= 1.5, "reclaimed only once the lease expired"
    assert "worker-a" not in queue.live_consumers()
    other.stop()


def test_live_consumers_follow_leases(queue: ReliableQueue, make_consumer: Callable[..., Consumer]) -> None:
    consumer = make_consumer("c1", lease_s=5)
    assert queue.live_consumers() == []
    consumer.start()
    assert queue.live_consumers() == ["c1"]
    consumer.stop()
    assert queue.live_consumers() == []


def test_poison_job_goes_to_dead_letter_after_max_deliveries(
    queue: ReliableQueue, make_consumer: Callable[..., Consumer]
) -> None:
    queue.push({"id": "poison"})
    for attempt in range(3):
        consumer = make_consumer("c1", lease_s=5, max_deliveries=2)
        consumer.start()
        job = consumer.take(timeout=0.5)
        if attempt < 2:
            assert job is not None and job.id == "poison"
        else:
            assert job is None
    assert queue.client.lrange("test:q:dead", 0, -1) == ['{"id":"poison"}']


def test_malformed_job_is_set_aside(queue: ReliableQueue, make_consumer: Callable[..., Consumer]) -> None:
    queue.client.lpush("test:q", "not json")
    consumer = make_consumer("c1", lease_s=5)
    consumer.start()
    assert consumer.take(timeout=0.5) is None
    assert queue.client.lrange("test:q:dead", 0, -1) == ["not json"]
    assert queue.in_flight() == {}


def test_consume_handles_fails_and_keeps_a_job_whose_connection_dropped(
    queue: ReliableQueue, make_consumer: Callable[..., Consumer]
) -> None:
    for n in (1, 2, 3):
        queue.push({"id": f"j{n}", "n": n})
    consumer = make_consumer("c1", lease_s=5)
    stop = threading.Event()
    seen: list[tuple[str, object]] = []

    def handle(job: Job) -> None:
        if job.data["n"] == 2:
            raise ValueError("bad job")
        if job.data["n"] == 3:
            raise ConnectionError("redis went away")
        seen.append(("done", job.data["n"]))

    def failed(job: Job, exc: Exception) -> None:
        seen.append(("failed", str(exc)))

    with pytest.raises(ConnectionError):
        consume(consumer, stop, handle, failed, started=lambda recovered: seen.append(("started", recovered)))
    assert seen == [("started", 0), ("done", 1), ("failed", "bad job")]
    kept = queue.client.lrange(consumer.processing_key, 0, -1)
    assert [json.loads(raw)["n"] for raw in kept] == [3]  # unacknowledged: retried after a restart
    assert not queue.client.exists(queue.key("alive", "c1"))  # the lease went with the loop
