"""The reliable queue on a real Redis: nothing taken is lost when its consumer dies."""

from __future__ import annotations

import time

import pytest
import redis

from fixtures.stack.reliable_queue import Consumer, ReliableQueue

pytestmark = pytest.mark.servers


@pytest.fixture
def queue(redis_db: str) -> ReliableQueue:
    return ReliableQueue(redis.Redis.from_url(redis_db, decode_responses=True), "test:q")


def test_fifo_take_keeps_job_until_ack(queue: ReliableQueue) -> None:
    first, second = queue.push({"n": 1}), queue.push({"n": 2})
    consumer = Consumer(queue, "c1", lease_s=5)
    consumer.start()
    job = consumer.take(timeout=1)
    assert job is not None and job.id == first and job.data["n"] == 1
    assert queue.in_flight() == {"c1": 1}
    consumer.ack(job)
    assert queue.in_flight() == {}
    assert consumer.take(timeout=1).id == second  # type: ignore[union-attr]
    consumer.stop()


def test_take_times_out_empty(queue: ReliableQueue) -> None:
    consumer = Consumer(queue, "c1", lease_s=5)
    started = time.monotonic()
    assert consumer.take(timeout=0.2) is None
    assert time.monotonic() - started < 1.5


def test_restarted_consumer_takes_back_its_unfinished_job(queue: ReliableQueue) -> None:
    job_id = queue.push({"n": 1})
    crashed = Consumer(queue, "worker-a", lease_s=30)
    crashed.start()
    assert crashed.take(timeout=1) is not None  # ... and the process dies without ack or stop
    restarted = Consumer(queue, "worker-a", lease_s=30)
    assert restarted.start() == 1
    again = restarted.take(timeout=1)
    assert again is not None and again.id == job_id
    assert restarted.deliveries(again) == 2


def test_dead_consumers_jobs_are_reaped_after_its_lease(queue: ReliableQueue) -> None:
    job_id = queue.push({"n": 1})
    dead = Consumer(queue, "worker-a", lease_s=0.3)
    dead.start()
    assert dead.take(timeout=1) is not None
    dead._stop.set()  # the heartbeat dies with the process; the lease runs out
    other = Consumer(queue, "worker-b", lease_s=0.3)
    other.start()
    assert other.take(timeout=0.1) is None, "not while worker-a's lease is current"
    time.sleep(0.5)
    job = other.take(timeout=1.5)
    assert job is not None and job.id == job_id
    assert "worker-a" not in queue.live_consumers()
    other.stop()


def test_live_consumers_follow_leases(queue: ReliableQueue) -> None:
    consumer = Consumer(queue, "c1", lease_s=5)
    assert queue.live_consumers() == []
    consumer.start()
    assert queue.live_consumers() == ["c1"]
    consumer.stop()
    assert queue.live_consumers() == []


def test_poison_job_goes_to_dead_letter_after_max_deliveries(queue: ReliableQueue) -> None:
    queue.push({"id": "poison"})
    for attempt in range(3):
        consumer = Consumer(queue, "c1", lease_s=5, max_deliveries=2)
        consumer.start()
        job = consumer.take(timeout=0.5)
        if attempt < 2:
            assert job is not None and job.id == "poison"
        else:
            assert job is None
    assert queue.client.lrange("test:q:dead", 0, -1) == ['{"id":"poison"}']


def test_malformed_job_is_set_aside(queue: ReliableQueue) -> None:
    queue.client.lpush("test:q", "not json")
    consumer = Consumer(queue, "c1", lease_s=5)
    consumer.start()
    assert consumer.take(timeout=0.5) is None
    assert queue.client.lrange("test:q:dead", 0, -1) == ["not json"]
    assert queue.in_flight() == {}
