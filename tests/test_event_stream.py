"""The feed on a Redis Stream, on the real Redis at 127.0.0.1:6379 and both databases: every feed
entry lands once, in feed order, under its feed id, also when the sink was stopped while entries
kept coming and when entries are published again; consumer groups share entries among their
consumers, hand a dead consumer's unacknowledged ones to another, and each group sees everything;
`urbanwatch stream tail` continues where it stopped."""

import json
import subprocess
import sys
import threading
import time
import uuid

import pytest
import redis
import yaml
from sqlalchemy import update

from models import feed
from models.schema import SinkPosition
from models.serialize import feed_message
from models.sinks import position
from streams.redis_stream import StreamConsumer, StreamPublisher
from streams.sinks import DeliveryError
from urbanwatch.config import ConfigError
from urbanwatch.config.loader import parse_config
from urbanwatch.config.sinks import NO_STREAM_REDIS, RedisStreamSink, SinksConfig
from urbanwatch.runtime.sinks import redis_stream_runner

from .conftest import need
from .test_camera_ingest import wait_for as camera_wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"
TYPES = ["event.new", "camera.status", "event.updated", "camera.problem", "session.revoked"]


def wait_for(pred, timeout=15.0):
    return camera_wait_for(pred, timeout, step=0.05)


@pytest.fixture
def r():
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        need(False, f"no Redis at {REDIS_URL}: {exc}")
    yield client
    client.close()


@pytest.fixture
def stream(r):
    """A stream of this test's own, deleted afterwards."""
    name = f"uwtest:{uuid.uuid4().hex[:10]}:feed"
    yield name
    r.delete(name)


def append(db, n: int, start: int = 0, pause_s: float = 0.0) -> list[int]:
    ids = []
    for i in range(start, start + n):
        kind = TYPES[i % len(TYPES)]
        with db.write() as s:
            ids.append(feed.append(s, kind, {"type": kind, "n": i, "text": "Bến Thành"}).id)
        time.sleep(pause_s)
    return ids


def stream_entries(r, stream: str) -> list[tuple[str, dict]]:
    return r.xrange(stream)


def check_stream(r, db, stream: str, feed_ids: list[int]) -> None:
    """The stream holds exactly these feed entries, once each, in feed order, as consoles get them."""
    entries = stream_entries(r, stream)
    assert [sid for sid, _ in entries] == [f"{i}-0" for i in feed_ids]
    with db.session() as s:
        expected = [feed_message(e) for e in feed.after(s, feed_ids[0] - 1, len(feed_ids))]
    assert [json.loads(f["message"]) for _, f in entries] == expected
    assert [f["feed_id"] for _, f in entries] == [str(i) for i in feed_ids]
    assert [f["type"] for _, f in entries] == [m["type"] for m in expected]


def test_every_feed_entry_lands_once_in_order_through_a_restart_and_a_replay(db, r, stream):
    cfg = RedisStreamSink(stream=stream, redis_url=REDIS_URL)
    assert cfg.sink_name == f"redis_stream:{stream}"
    history = append(db, 3)
    with db.write() as s:
        assert position(s, cfg.sink_name) == history[-1]  # a new sink starts at the end of the feed
    sink = redis_stream_runner(cfg, db, REDIS_URL, pause_s=(0.05, 0.2))
    sink.start()
    appended: list[int] = []
    writer = threading.Thread(target=lambda: appended.extend(append(db, 60, start=3, pause_s=0.02)))
    writer.start()
    try:
        assert wait_for(lambda: r.xlen(stream) >= 10)
        sink.stop()
        assert not sink.is_alive()
        stopped_at = r.xlen(stream)
        time.sleep(0.4)  # entries keep coming while the sink is down
        assert r.xlen(stream) == stopped_at
        sink = redis_stream_runner(cfg, db, REDIS_URL, pause_s=(0.05, 0.2))
        sink.start()
        writer.join()
        assert wait_for(lambda: r.xlen(stream) >= 60)
        time.sleep(0.3)
        assert stopped_at < 60
        check_stream(r, db, stream, appended)  # all of them, none of the history, each once, in order
        assert {f["type"] for _, f in stream_entries(r, stream)} == set(TYPES)  # every entry type goes out
        sink.stop()

        # an explicit replay: the persisted position put back before everything, and the sink run again
        with db.write() as s:
            s.execute(update(SinkPosition).where(SinkPosition.name == cfg.sink_name).values(last_id=0))
        sink = redis_stream_runner(cfg, db, REDIS_URL, pause_s=(0.05, 0.2))
        sink.start()

        def caught_up() -> bool:
            with db.session() as s:
                return position(s, cfg.sink_name) == appended[-1]

        assert wait_for(caught_up)
        sink.stop()
        check_stream(r, db, stream, appended)  # the history was older than the stream: refused too
        # and the same entries published by hand once more
        publisher = StreamPublisher(REDIS_URL, stream, 1000)
        with db.session() as s:
            again = [feed_message(e) for e in feed.after(s, appended[0] - 1, 1000)]
        assert [publisher.publish(m["id"], m) for m in again] == [False] * len(again)
        publisher.close()
        check_stream(r, db, stream, appended)
    finally:
        writer.join()
        sink.stop()


def test_publisher_trims_and_reports_redis_down(r, stream):
    publisher = StreamPublisher(REDIS_URL, stream, maxlen=10)
    assert all(publisher.publish(i, {"id": i, "type": "event.new"}) for i in range(1, 501))
    assert 10 <= r.xlen(stream) < 500  # approximately trimmed
    assert publisher.publish(400, {"id": 400, "type": "event.new"}) is False  # trimmed away, still refused
    assert r.xrange(stream)[-1][0] == "500-0"
    publisher.close()
    down = StreamPublisher("redis://127.0.0.1:1/0", stream, timeout_s=1.0)  # nothing listens on port 1
    with pytest.raises(DeliveryError):
        down.publish(501, {"id": 501, "type": "event.new"})
    r.set(f"{stream}:not-a-stream", "x")
    try:
        wrong = StreamPublisher(REDIS_URL, f"{stream}:not-a-stream")
        with pytest.raises(DeliveryError, match="refused"):
            wrong.publish(1, {"id": 1, "type": "event.new"})
    finally:
        r.delete(f"{stream}:not-a-stream")


def test_consumer_groups_hand_a_dead_consumers_entries_to_another(r, stream):
    publisher = StreamPublisher(REDIS_URL, stream)
    for i in range(1, 13):
        publisher.publish(i, {"id": i, "type": TYPES[i % len(TYPES)]})
    publisher.close()
    done: list[int] = []  # feed ids acknowledged in group "office", over all its consumers

    a = StreamConsumer(REDIS_URL, stream, "office", "a", block_ms=100, claim_idle_ms=200)
    got = a.read(5)
    assert [m["id"] for _, m in got] == [1, 2, 3, 4, 5]
    assert a.ack([sid for sid, _ in got[:3]]) == 3
    done += [m["id"] for _, m in got[:3]]
    a.close()  # "crashes": 4 and 5 were given to it and never acknowledged

    b = StreamConsumer(REDIS_URL, stream, "office", "b", block_ms=100, claim_idle_ms=200)
    time.sleep(0.3)  # a's entries are idle long enough to be taken for dead
    claimed = b.read(10)
    assert [m["id"] for _, m in claimed] == [4, 5]  # claimed first
    rest = b.read(10)
    assert [m["id"] for _, m in rest] == list(range(6, 13))  # then the new ones
    for batch in (claimed, rest):
        b.ack([sid for sid, _ in batch])
        done += [m["id"] for _, m in batch]
    assert b.read(10) == []
    b.close()
    assert sorted(done) == list(range(1, 13)) and len(done) == 12  # each exactly once
    assert r.xpending(stream, "office")["pending"] == 0

    # another group sees everything, on its own
    c = StreamConsumer(REDIS_URL, stream, "archive", "c", block_ms=100)
    seen = []
    while batch := c.read(5):
        seen += [m["id"] for _, m in batch]
        c.ack([sid for sid, _ in batch])
    assert seen == list(range(1, 13))
    c.close()

    # a consumer that comes back under its name gets what it had been given first, unacknowledged
    d = StreamConsumer(REDIS_URL, stream, "late", "d", block_ms=100, claim_idle_ms=None)
    assert [m["id"] for _, m in d.read(2)] == [1, 2]
    d.close()
    d = StreamConsumer(REDIS_URL, stream, "late", "d", block_ms=100, claim_idle_ms=None)
    again = d.read(10)
    assert [m["id"] for _, m in again] == [1, 2]
    d.ack([sid for sid, _ in again])
    assert [m["id"] for _, m in d.read(10)] == list(range(3, 13))
    d.close()


def _cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "urbanwatch", *args], capture_output=True, text=True,
                          timeout=timeout, env={"PATH": "/usr/bin:/bin", "COLUMNS": "200"})


def _ids(out) -> list[int]:
    assert out.returncode == 0, out.stderr
    return [json.loads(line)["id"] for line in out.stdout.splitlines()]


def test_stream_tail_continues_where_it_stopped(r, stream, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"data_dir": str(tmp_path), "redis_url": REDIS_URL},
                                      "sinks": {"redis_stream": {"stream": stream}}}))
    publisher = StreamPublisher(REDIS_URL, stream)
    for i in range(1, 11):
        publisher.publish(i, {"id": i, "type": "event.new", "text": "Bến Thành"})
    tail = ("stream", "tail", "-c", str(config), "--group", "ops", "--consumer", "t")
    first = _cli(*tail, "--from-start", "--count", "4")
    assert _ids(first) == [1, 2, 3, 4]
    assert json.loads(first.stdout.splitlines()[0]) == {"id": 1, "type": "event.new", "text": "Bến Thành"}
    assert _ids(_cli(*tail, "--count", "6")) == [5, 6, 7, 8, 9, 10]  # no repeat, nothing lost
    assert _ids(_cli(*tail, "--idle-exit", "0.5")) == []
    # a tail that printed without acknowledging (it crashed) gets the same again when it comes back
    publisher.publish(11, {"id": 11, "type": "camera.status"})
    publisher.publish(12, {"id": 12, "type": "event.updated"})
    assert _ids(_cli(*tail, "--no-ack", "--count", "2")) == [11, 12]
    assert _ids(_cli(*tail, "--idle-exit", "0.5")) == [11, 12]
    assert _ids(_cli(*tail, "--idle-exit", "0.5")) == []
    # a new group without --from-start begins at the next new entry
    assert _ids(_cli(*tail[:-4], "--group", "newcomers", "--idle-exit", "0.5")) == []
    publisher.publish(13, {"id": 13, "type": "event.new"})
    assert _ids(_cli(*tail[:-4], "--group", "newcomers", "--idle-exit", "0.5")) == [13]
    publisher.close()


def test_a_stream_sink_without_redis_is_one_clear_line(tmp_path):
    sinks = SinksConfig.model_validate({"redis_stream": {}})
    assert sinks.problems(None) == [NO_STREAM_REDIS]
    assert sinks.problems("redis://127.0.0.1:6379/0") == []
    with_storage = parse_config({"storage": {"redis_url": REDIS_URL}, "sinks": {"redis_stream": {}}}, tmp_path, {})
    assert with_storage.sinks.stream_redis_url(with_storage.storage.redis_url) == REDIS_URL
    assert with_storage.sinks.redis_stream.stream == "urbanwatch:feed"
    assert with_storage.sinks.redis_stream.maxlen == 1_000_000
    off = parse_config({"sinks": {"redis_stream": {"enabled": False}}}, tmp_path, {})
    assert off.sinks.problems(None) == []
    with pytest.raises(ConfigError) as bad:
        parse_config({"sinks": {"redis_stream": {"redis_url": "http://127.0.0.1:6379"}}}, tmp_path, {})
    assert bad.value.errors == ["sinks.redis_stream.redis_url: must be a redis://host:6379/0 (or rediss://, "
                                "unix://) URL"]

    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"storage": {"data_dir": str(tmp_path)}, "sinks": {"redis_stream": {}}}))
    out = _cli("stream", "tail", "-c", str(config), "--group", "ops")
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [f"error {NO_STREAM_REDIS}"]
