"""Many machines: camera leases on PostgreSQL (converge, a kill, a join, a clean stop), and the load
that workers put on PostgreSQL and Redis per camera, projected to 3,000 cameras.

    .venv/bin/python -m bench.scale_out [--cameras 500] [--capacities 1,1,2,2,4] [--lease-s 10 --step-s 2]
        [--events-per-hour 4] [--big-cameras 3000 --big-workers 30] [--json OUT]

A fresh PostgreSQL database (migrated, dropped at the end) gets `--cameras` camera rows (no video).
Each worker is a `LeaseKeeper` in its own thread with its own engine (so its own connection pool, as
a worker process has), stepping every `--step-s` with the real lease time (as the worker's own lease
thread does); capacities are unequal
so that shares follow capacity. Threads, not processes: the step waits on the database, the bench
can stop a thread exactly as SIGKILL stops a process (no release, no last write), and a sampler in
the same process reads every keeper's tokens 10 times a second, so two workers believing they hold
one camera at the same moment would be seen. Every worker also stores its cameras' health every 2 s,
from a second thread and engine, as `Worker._report_health` does (the lease check and
`update_health` per camera, one transaction).

Measured: time to converge (every camera held once, every worker at its fair share); a worker
stopped without releasing (SIGKILL): time until its cameras are held by the others; a worker
joining: cameras moved (should be its share) and time to settle; a clean stop (`release`): time
until its cameras are held by others. Database load: SQL statements and transactions per lease
step, per health write and per event (stored through the real functions: the event and its
snapshots' and package's hashes, the clip finished, the end; each fenced by the lease check),
counted with the engine's `before_cursor_execute`. Redis: the feed entries those events made,
published with `StreamPublisher` (XADD) plus one PUBLISH per write (the worker's feed notice), on
the bench's own keys, counted with `INFO commandstats`. Then one convergence with `--big-cameras`
and `--big-workers`, keepers stepped in rounds from one thread (a 2-core machine cannot run 30
workers' steps in real time), to time the lease step at that size.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import redis
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, event, text

from models import Database, feed
from models.areas import sync_areas
from models.cameras import update_health, upsert_camera
from models.events import NewEvent, announce_update, create_event, end_event
from models.leases import fair_share, holders
from models.media import MediaStore
from models.schema import Event
from models.serialize import feed_message
from models.types import utcnow
from streams.clips import ClipResult
from streams.redis_stream import StreamPublisher
from urbanwatch.config.areas import AreasConfig
from urbanwatch.runtime.evidence import Provenance, record_clip, record_snapshots, write_package
from urbanwatch.runtime.leasing import LEASE_S, STEP_S, LeaseKeeper

PG_ADMIN_URL = os.environ.get("URBANWATCH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
HEALTH_EVERY_S = 2.0  # urbanwatch.runtime.worker: each worker stores its cameras' health this often


@contextmanager
def fresh_database() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"urbanwatch_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        db = Database(url)
        db.upgrade()
        db.dispose()
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_cameras(db: Database, n: int, prefix: str = "cam") -> list[str]:
    areas = AreasConfig()
    wards = [name for name, _ in areas.units()][:40]
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    with db.write() as s:
        sync_areas(s, areas.units(), [(g.name, g.members) for g in areas.groups])
    for start in range(0, n, 500):
        with db.write() as s:
            for i, cid in enumerate(ids[start:start + 500], start):
                upsert_camera(s, id=cid, name=f"Camera {i}", ward=wards[i % len(wards)],
                              source=f"rtsp://10.1.{i // 250}.{i % 250}/s", enabled=True)
    return ids


class Counter:
    """SQL statements and transactions on one engine, under the label the caller sets."""

    def __init__(self, engine):
        self.label = "other"
        self.statements: dict[str, int] = {}
        self.transactions: dict[str, int] = {}
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "begin", self._begin)

    def _statement(self, *_a) -> None:
        self.statements[self.label] = self.statements.get(self.label, 0) + 1

    def _begin(self, *_a) -> None:
        self.transactions[self.label] = self.transactions.get(self.label, 0) + 1


class Worker(threading.Thread):
    """A worker process's lease loop (and its health writes), in a thread."""

    def __init__(self, url: str, name: str, cameras: list[str], capacity: float, lease_s: float, step_s: float,
                 health: bool):
        super().__init__(name=name, daemon=True)
        self.db = Database(url)
        self.counter = Counter(self.db.engine)
        self.keeper = LeaseKeeper(self.db, name, cameras, capacity, lease_s=lease_s, step_s=step_s)
        self.health = health
        self.halt = threading.Event()
        self.release_on_stop = False
        self.steps: list[tuple[float, float, int]] = []  # (at, seconds, statements)
        self.health_cameras = 0  # camera health rows written
        self.counter.label = "lease"
        self.hdb = Database(url)  # the worker's main loop: its own connections, so never in the renewal's way
        self.hcounter = Counter(self.hdb.engine)
        self.hcounter.label = "health"

    def run(self) -> None:
        """The lease loop (LeaseKeeper's own thread in a worker: nothing else delays the renewal)."""
        health = threading.Thread(target=self._health, name=f"{self.name}-health", daemon=True)
        if self.health:
            health.start()
        while not self.halt.is_set():
            t0, before = time.monotonic(), self.counter.statements.get("lease", 0)
            self.keeper.step()
            self.steps.append((t0, time.monotonic() - t0, self.counter.statements.get("lease", 0) - before))
            self.halt.wait(max(0.0, self.keeper.next_step - time.monotonic()))
        if health.is_alive():
            health.join()
        if self.release_on_stop:
            self.keeper.release()

    def _health(self) -> None:
        """Worker._report_health every HEALTH_EVERY_S: per held camera, the lease check and the store."""
        while not self.halt.wait(HEALTH_EVERY_S):
            tokens = dict(self.keeper.tokens)
            if not tokens:
                continue
            try:
                with self.hdb.write() as s:
                    for cid, token in tokens.items():
                        self.keeper.check(s, cid, token)
                        update_health(s, cid, {"state": "online", "fps_in": 15.0, "fps_processed": 2.0,
                                               "worker": self.name}, utcnow())
                self.health_cameras += len(tokens)
            except Exception:  # noqa: BLE001 - a camera lost between the step and the write
                pass

    def kill(self) -> None:
        """SIGKILL: it stops stepping and writing; its leases stay in the database until they expire."""
        self.halt.set()
        self.join()

    def stop(self) -> None:
        """SIGTERM: it gives its cameras up on the way out."""
        self.release_on_stop = True
        self.halt.set()
        self.join()


class Failures(logging.Handler):
    """Lease steps that failed (logged by LeaseKeeper: 'cannot renew camera leases')."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


class Sampler(threading.Thread):
    """Reads every live keeper's tokens often: a camera two workers believe they hold at once counts."""

    def __init__(self, workers: list[Worker], every_s: float = 0.1):
        super().__init__(daemon=True)
        self.workers, self.every_s = workers, every_s
        self.halt = threading.Event()
        self.samples = 0
        self.double: set[str] = set()

    def run(self) -> None:
        while not self.halt.wait(self.every_s):
            seen: dict[str, str] = {}
            for w in list(self.workers):
                if w.halt.is_set():
                    continue  # killed or stopping: it processes nothing
                for cid in list(w.keeper.tokens):
                    if cid in seen:
                        self.double.add(cid)
                    seen[cid] = w.name
            self.samples += 1


def owners(db: Database) -> dict[str, str | None]:
    with db.session() as s:
        now = utcnow()
        return {c: (w if e is not None and e >= now else None) for c, (w, _, e) in holders(s).items()}


def balanced(db: Database, cameras: list[str], live: list[Worker]) -> tuple[bool, dict[str, str | None]]:
    own = owners(db)
    names = {w.name for w in live}
    if any(own.get(c) not in names for c in cameras):
        return False, own
    counts = {n: 0 for n in names}
    for c in cameras:
        counts[own[c]] += 1
    return counts == fair_share(len(cameras), {w.name: w.keeper.capacity for w in live}), own


def wait_until(pred, timeout: float, every: float = 0.1) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if pred():
            return time.monotonic() - t0
        time.sleep(every)
    return None


def lease_phases(url: str, cameras: list[str], capacities: list[float], join_capacity: float, lease_s: float,
                 step_s: float, steady_s: float, health: bool, console: Console) -> dict:
    db = Database(url)
    timeout = 3 * lease_s + 10 * step_s + 30
    workers = [Worker(url, f"w{i}", cameras, c, lease_s, step_s, health) for i, c in enumerate(capacities)]
    sampler = Sampler(workers)
    failures = Failures()
    logging.getLogger("urbanwatch.runtime.leasing").addHandler(failures)
    out: dict = {}
    try:
        sampler.start()
        t0 = time.monotonic()
        for w in workers:
            w.start()
        ok = wait_until(lambda: balanced(db, cameras, workers)[0], timeout)
        out["converge_s"] = round(ok if ok is not None else time.monotonic() - t0, 2)
        out["converged"] = ok is not None
        out["failed_steps_converging"] = failures.count
        out["shares"] = {w.name: len(w.keeper.tokens) for w in workers}
        console.print(f"converged: {out['converge_s']} s, shares {out['shares']}")

        # steady state: counts over whole steps
        time.sleep(step_s)
        s0 = {w.name: {**w.counter.statements, **w.hcounter.statements} for w in workers}
        x0 = {w.name: {**w.counter.transactions, **w.hcounter.transactions} for w in workers}
        n0 = {w.name: len(w.steps) for w in workers}
        time.sleep(steady_s)
        per_label: dict[str, dict[str, float]] = {}
        for label in ("lease", "health"):
            c = {w.name: w.hcounter if label == "health" else w.counter for w in workers}
            st = sum(c[w.name].statements.get(label, 0) - s0[w.name].get(label, 0) for w in workers)
            tx = sum(c[w.name].transactions.get(label, 0) - x0[w.name].get(label, 0) for w in workers)
            per_label[label] = {"statements_per_s": st / steady_s, "transactions_per_s": tx / steady_s,
                                "statements_per_camera_min": st / steady_s * 60 / len(cameras),
                                "transactions_per_camera_min": tx / steady_s * 60 / len(cameras)}
        h_st = sum(w.hcounter.statements.get("health", 0) for w in workers)
        h_cams = sum(w.health_cameras for w in workers)
        if h_cams:  # at the nominal cadence: every camera's health every HEALTH_EVERY_S
            per_label["health"]["statements_per_camera_write"] = round(h_st / h_cams, 2)
            per_label["health"]["nominal_statements_per_camera_min"] = h_st / h_cams * 60 / HEALTH_EVERY_S
        steps = [s for w in workers for s in w.steps[n0[w.name]:]]
        out["steady"] = per_label
        out["steps_in_window"] = len(steps)
        out["step_s_median"] = round(statistics.median(s[1] for s in steps), 3)
        out["step_s_p95"] = round(sorted(s[1] for s in steps)[int(0.95 * (len(steps) - 1))], 3)
        out["step_statements_median"] = statistics.median(s[2] for s in steps)
        # at the nominal cadence (every worker steps every step_s), whatever this machine managed
        per_label["lease"]["nominal_statements_per_camera_min"] = (
            out["step_statements_median"] * len(workers) * 60 / step_s / len(cameras))
        console.print(f"steady: {per_label}; step {out['step_s_median']} s, {out['step_statements_median']} stmts")

        # SIGKILL of the largest worker
        own = owners(db)  # the worker holding most now (on a slow machine shares may be moving)
        victim = max(workers, key=lambda w: (sum(v == w.name for v in own.values()), w.keeper.capacity))
        theirs = {c for c, w in own.items() if w == victim.name}
        victim.kill()
        live = [w for w in workers if w is not victim]
        t = wait_until(lambda: not (theirs & {c for c, w in owners(db).items() if w is None or w == victim.name}),
                       timeout, 0.05)
        out["kill"] = {"worker": victim.name, "capacity": victim.keeper.capacity, "cameras": len(theirs),
                       "reassigned_s": round(t, 2) if t is not None else None}
        t2 = wait_until(lambda: balanced(db, cameras, live)[0], timeout)
        out["kill"]["balanced_s"] = round(t + (t2 or 0), 2) if t is not None and t2 is not None else None
        console.print(f"kill: {out['kill']}")

        # a worker joins
        _, before = balanced(db, cameras, live)
        joiner = Worker(url, "w-join", cameras, join_capacity, lease_s, step_s, health)
        live.append(joiner)
        workers.append(joiner)
        joiner.start()
        t = wait_until(lambda: balanced(db, cameras, live)[0], timeout)
        _, after = balanced(db, cameras, live)
        moved = [c for c in cameras if before.get(c) != after.get(c)]
        share = fair_share(len(cameras), {w.name: w.keeper.capacity for w in live})[joiner.name]
        out["join"] = {"capacity": join_capacity, "share": share, "moved": len(moved),
                       "moved_to_joiner": sum(after.get(c) == joiner.name for c in moved),
                       "settle_s": round(t, 2) if t is not None else None}
        console.print(f"join: {out['join']}")

        # a clean stop (SIGTERM: release)
        leaving = min(live, key=lambda w: (w.keeper.capacity, w.name))
        theirs = {c for c, w in owners(db).items() if w == leaving.name}
        t0 = time.monotonic()
        leaving.stop()
        live.remove(leaving)
        t = wait_until(lambda: not (theirs & {c for c, w in owners(db).items() if w is None or w == leaving.name}),
                       timeout, 0.05)
        out["stop"] = {"worker": leaving.name, "cameras": len(theirs),
                       "reassigned_s": round(time.monotonic() - t0, 2) if t is not None else None}
        console.print(f"clean stop: {out['stop']}")
        out["samples"] = sampler.samples
        out["double_held"] = len(sampler.double)
        out["failed_steps"] = failures.count
    finally:
        sampler.halt.set()
        for w in workers:
            w.halt.set()
        for w in workers:
            w.join(30)
            w.keeper.release()  # all cameras free (and every worker marked stopping) for what follows
            w.db.dispose()
            w.hdb.dispose()
        db.dispose()
    return out


def events_and_redis(url: str, cameras: list[str], per_hour: float, redis_url: str, console: Console) -> dict:
    """A minute's worth of events, stored as the recorder stores them, and their feed on Redis."""
    db = Database(url)
    counter = Counter(db.engine)
    keeper = LeaseKeeper(db, "events", cameras, 1.0, lease_s=600.0)  # alone: it holds every camera
    keeper.step()
    n = max(1, round(len(cameras) * per_hour / 60))
    prov = Provenance(model="yolov8n.onnx", model_sha256=None, imgsz=320, confidence=0.25,
                      timezone="Asia/Ho_Chi_Minh", pre_roll_s=30.0, post_roll_s=30.0)
    with db.session() as s:
        first_feed = feed.last_id(s)
    writes = 0
    with tempfile.TemporaryDirectory() as tmp:
        media = MediaStore(Path(tmp))
        counter.label = "events"
        t0 = time.monotonic()
        for i in range(n):
            cid = cameras[(i * 7919) % len(cameras)]
            stem = media.new_stem(cid, utcnow())
            media.write(f"{stem}-clean.jpg", os.urandom(60_000))
            media.write(f"{stem}-annotated.jpg", os.urandom(60_000))
            media.write(f"{stem}.mp4", os.urandom(1000))
            now = utcnow()
            new = NewEvent(type="encroachment", camera_id=cid, zone_id=None, zone_name="via_he", category="vehicle",
                           class_name="motorcycle", confidence=0.8, bbox=[10.0, 20.0, 50.0, 60.0], frame_width=640,
                           frame_height=360, track_id=i, started_at=now - timedelta(seconds=30), raised_at=now,
                           snapshot=f"{stem}-clean.jpg", snapshot_annotated=f"{stem}-annotated.jpg",
                           details={"params": {"dwell_s": 30}}, clip=f"{stem}.mp4", clip_state="recording",
                           clip_started_at=now, event_key=f"{cid}/encroachment/via_he/{i}")
            with db.write() as s:  # raised
                keeper.check(s, cid, keeper.token(cid))
                ev = create_event(s, new)
                record_snapshots(s, media, ev)
                write_package(s, media, ev, prov)
                event_id = ev.id
            with db.write() as s:  # clip finished (Recorder.clip_finished)
                ev = s.get(Event, event_id)
                keeper.check(s, cid, keeper.token(cid))
                record_clip(s, media, ev, ClipResult("c", media.path(ev.clip), time.time() - 60, time.time(), 120,
                                                     True, False))
                write_package(s, media, ev, prov)
                announce_update(s, ev)
            with db.write() as s:  # ended
                keeper.check(s, cid, keeper.token(cid))
                end_event(s, event_id, utcnow(), "left")
            writes += 3
        elapsed = time.monotonic() - t0
    counter.label = "other"
    with db.session() as s:
        entries = [feed_message(e) for e in feed.after(s, first_feed, 100_000)]
    st, tx = counter.statements.get("events", 0), counter.transactions.get("events", 0)
    out = {"events": n, "per_camera_hour": per_hour, "seconds": round(elapsed, 2),
           "statements_per_event": round(st / n, 1), "transactions_per_event": round(tx / n, 1),
           "statements_per_camera_min": st / len(cameras), "transactions_per_camera_min": tx / len(cameras),
           "feed_entries": len(entries)}
    console.print(f"events: {out}")

    # Redis: the same feed entries, on the bench's own stream and channel
    client = redis.Redis.from_url(redis_url)
    key = f"urbanwatch:bench:{uuid.uuid4().hex[:8]}"

    def stats() -> dict[str, int]:
        return {k.removeprefix("cmdstat_"): v["calls"] for k, v in client.info("commandstats").items()}

    publisher = StreamPublisher(redis_url, key, maxlen=1_000_000)
    try:
        before = stats()
        for m in entries:
            publisher.publish(m["id"], m)
        for _ in range(writes):
            client.publish(f"{key}:notice", "new")  # streams.notify.FeedNotifier: one per stored write
        after = stats()
    finally:
        publisher.close()
        client.delete(key)
        client.close()
    ops = {k: after.get(k, 0) - before.get(k, 0) for k in ("xadd", "publish", "xinfo|stream", "xinfo")}
    ops = {k: v for k, v in ops.items() if v}
    total = sum(after.values()) - sum(before.values()) - 1  # less the INFO itself
    out["redis"] = {"ops": ops, "all_commands": total, "sent": len(entries) + writes,
                    "ops_per_camera_min": (len(entries) + writes) / len(cameras)}
    console.print(f"redis: {out['redis']}")
    keeper.release()
    db.dispose()
    return out


def big_convergence(url: str, n: int, workers: int, console: Console, budget_s: float) -> dict:
    """Keepers stepped in rounds from one thread, leases long enough not to expire meanwhile. Stops at
    `budget_s`: the step's duration and statements are what this measures; rounds to converge only
    when the budget allows."""
    db = Database(url)
    cameras = add_cameras(db, n, prefix="big")
    caps = [(1.0, 1.0, 2.0, 2.0, 4.0)[i % 5] for i in range(workers)]  # others in the database all stopped
    dbs = [Database(url) for _ in range(workers)]
    counters = [Counter(d.engine) for d in dbs]
    keepers = [LeaseKeeper(d, f"b{i:02d}", cameras, caps[i], lease_s=3600.0, step_s=0.0)
               for i, d in enumerate(dbs)]
    steps: list[tuple[int, float, int]] = []  # (round, seconds, statements)
    rounds, t0, done = 0, time.monotonic(), False
    live = [type("W", (), {"name": k.worker, "keeper": k})() for k in keepers]
    try:
        while not done and time.monotonic() - t0 < budget_s:
            rounds += 1
            for k, c in zip(keepers, counters, strict=True):
                if time.monotonic() - t0 >= budget_s:
                    break
                c.label = "lease"
                before = c.statements.get("lease", 0)
                s = time.monotonic()
                k.step()
                steps.append((rounds, time.monotonic() - s, c.statements.get("lease", 0) - before))
            else:
                done = balanced(db, cameras, live)[0]
            console.print(f"{n} cameras, round {rounds}: {'balanced' if done else 'not yet'}, "
                          f"{len(steps)} steps, {time.monotonic() - t0:.0f} s")
    finally:
        for k in keepers:
            k.release()
        for d in dbs:
            d.dispose()
        db.dispose()
    later = steps[1:]  # the first step of all creates the lease rows
    return {"cameras": n, "workers": workers, "converged": done, "rounds": rounds, "steps": len(steps),
            "budget_s": budget_s,
            "step_s_median": round(statistics.median(x[1] for x in later), 3) if later else None,
            "step_s_max": round(max(x[1] for x in later), 3) if later else None,
            "step_statements_median": statistics.median(x[2] for x in later) if later else None,
            "first_step_s": round(steps[0][1], 3) if steps else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cameras", type=int, default=500)
    ap.add_argument("--capacities", default="1,1,2,2,4", help="one worker per value (its measured capacity)")
    ap.add_argument("--join-capacity", type=float, default=2.0)
    ap.add_argument("--lease-s", type=float, default=LEASE_S)
    ap.add_argument("--step-s", type=float, default=STEP_S)
    ap.add_argument("--steady-s", type=float, default=20.0, help="window for the steady-state counts")
    ap.add_argument("--no-health", action="store_true", help="workers do not store their cameras' health")
    ap.add_argument("--events-per-hour", type=float, default=4.0, help="events per camera per hour (assumed)")
    ap.add_argument("--redis", default=os.environ.get("URBANWATCH_TEST_REDIS", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--big-cameras", type=int, default=3000, help="0: skip the large convergence")
    ap.add_argument("--big-workers", type=int, default=30)
    ap.add_argument("--big-budget-s", type=float, default=150.0)
    ap.add_argument("--project", type=int, default=3000, help="cameras to project the load to")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_a: sys.exit(143))  # the database is dropped on the way out
    console = Console()
    caps = [float(c) for c in args.capacities.split(",")]
    results: dict = {"cameras": args.cameras, "capacities": caps, "lease_s": args.lease_s, "step_s": args.step_s}
    with fresh_database() as url:
        db = Database(url)
        cameras = add_cameras(db, args.cameras)
        db.dispose()
        results["leases"] = lease_phases(url, cameras, caps, args.join_capacity, args.lease_s, args.step_s,
                                         args.steady_s, not args.no_health, console)
        results["events"] = events_and_redis(url, cameras, args.events_per_hour, args.redis, console)
        if args.big_cameras:
            results["big"] = big_convergence(url, args.big_cameras, args.big_workers, console, args.big_budget_s)
            console.print(f"big: {results['big']}")

    lz, ev = results["leases"], results["events"]
    steady = lz["steady"]
    per_cam_min = {"lease": steady["lease"]["nominal_statements_per_camera_min"],
                   "health": steady["health"].get("nominal_statements_per_camera_min", 0.0),
                   "events": ev["statements_per_camera_min"]}
    n_proj = args.project
    big = results.get("big")
    # the lease step's statements grow with cameras x workers (see the step's statements): project from the
    # measured step at the big size when there is one, else scale the 500-camera step
    if big and big["step_statements_median"]:
        lease_proj = big["step_statements_median"] * big["workers"] / args.step_s
    else:
        lease_proj = per_cam_min["lease"] * args.cameras / 60 * (n_proj / args.cameras) ** 2
    proj = {"cameras": n_proj, "lease_statements_s": round(lease_proj),
            "health_statements_s": round(per_cam_min["health"] * n_proj / 60),
            "event_statements_s": round(per_cam_min["events"] * n_proj / 60, 1),
            "redis_ops_s": round(ev["redis"]["ops_per_camera_min"] * n_proj / 60, 2)}
    proj["statements_s"] = proj["lease_statements_s"] + proj["health_statements_s"] + proj["event_statements_s"]
    results["projection"] = proj

    t = Table(title=f"Leases: {args.cameras} cameras, workers {args.capacities}, lease {args.lease_s:g} s, "
                    f"step {args.step_s:g} s")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("converge (each camera held once, every worker at its share)", f"{lz['converge_s']} s")
    t.add_row("shares", " ".join(f"{v}" for v in lz["shares"].values()))
    t.add_row("lease steps failed (while converging / in all)",
              f"{lz['failed_steps_converging']} / {lz['failed_steps']}")
    k = lz["kill"]
    t.add_row(f"SIGKILL of {k['worker']} ({k['cameras']} cameras): all held by others / balanced",
              f"{k['reassigned_s']} s / {k['balanced_s']} s")
    j = lz["join"]
    t.add_row(f"join (capacity {j['capacity']:g}): moved / its share / settle",
              f"{j['moved']} / {j['share']} / {j['settle_s']} s")
    st = lz["stop"]
    t.add_row(f"clean stop of {st['worker']} ({st['cameras']} cameras): all held by others", f"{st['reassigned_s']} s")
    t.add_row("cameras ever held by two live workers at once", f"{lz['double_held']} ({lz['samples']} samples)")
    t.add_row("lease step: median / p95 duration, statements", f"{lz['step_s_median']} / {lz['step_s_p95']} s, "
              f"{lz['step_statements_median']:g}")
    if big:
        t.add_row(f"{big['cameras']} cameras, {big['workers']} workers stepped in rounds: "
                  f"{'converged in ' + str(big['rounds']) + ' rounds' if big['converged'] else 'budget spent'}; "
                  "step median / max, statements",
                  f"{big['step_s_median']} / {big['step_s_max']} s, {big['step_statements_median']}")
    console.print(t)

    t = Table(title="Load per camera per minute (steady state, as measured here; nominal: at the full cadence)")
    for col in ("source", "SQL statements", "transactions", "Redis ops"):
        t.add_column(col, justify="right" if col != "source" else "left")
    t.add_row("lease steps", f"{steady['lease']['statements_per_camera_min']:.1f} "
              f"(nominal {steady['lease']['nominal_statements_per_camera_min']:.1f})",
              f"{steady['lease']['transactions_per_camera_min']:.2f}", "")
    if "health" in steady:
        t.add_row("health every 2 s", f"{steady['health']['statements_per_camera_min']:.1f} "
                  f"(nominal {steady['health'].get('nominal_statements_per_camera_min', 0):.1f})",
                  f"{steady['health']['transactions_per_camera_min']:.2f}", "")
    t.add_row(f"events ({ev['per_camera_hour']:g}/camera/hour; {ev['statements_per_event']} statements, "
              f"{ev['transactions_per_event']} transactions each)", f"{ev['statements_per_camera_min']:.2f}",
              f"{ev['transactions_per_camera_min']:.3f}", f"{ev['redis']['ops_per_camera_min']:.3f}")
    console.print(t)
    t = Table(title=f"Projected to {n_proj} cameras")
    t.add_column("measure")
    t.add_column("per second", justify="right")
    for key, label in (("lease_statements_s", "lease statements"), ("health_statements_s", "health statements"),
                       ("event_statements_s", "event statements"), ("statements_s", "all SQL statements"),
                       ("redis_ops_s", "Redis ops (XADD + PUBLISH)")):
        t.add_row(label, f"{proj[key]:g}")
    console.print(t)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
        console.print(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
