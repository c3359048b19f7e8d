"""The chaos run of issue 13: the failover cluster of tests/test_failover.py (three `urbanwatch
worker` machines in network namespaces, twelve RTSP test cameras, a fresh PostgreSQL database)
with a machine struck at random for minutes, and what that cost counted.

    .venv/bin/python -m bench.chaos [--minutes 5] [--every 30] [--seed 1] [--json OUT]

Every `--every` seconds a random machine is either SIGKILLed (its whole process group; restarted
10 s later) or cut off (its veth link down; healed 15 s later); never two machines down at once: a
machine counts as down from the strike until it holds cameras again (a restarted worker loads its
model for tens of seconds first), and a strike that falls due before then waits for it.
Every 0.5 s the bench samples each camera's lease holder, its health (the worker that wrote it,
and when) and the incidents open on the two queue cameras. Reported:

- per camera: the longest gap between health updates (served by nobody), and holder changes;
- events lost: the queue clip's two parked cars stand in the far-corner sidewalk zone the whole
  run, so after warm-up every sample should see an open incident there on both queue cameras;
  samples where one is missing, other than within FAILOVER_S after a kill or cut, count; so does
  every incident ended with a reason other than the car leaving ("left"); end reasons listed;
- events duplicated: two incidents on one camera and zone, boxes overlapping (IoU >= 0.5), open
  at the same time (the check of tests/test_failover.py), and any event_key stored twice;
- writes refused by fencing: "not storing" lines in the machines' json logs;
- failover: per kill or cut, seconds until every camera the machine held was held by another
  worker and its health written by that worker.

Passes (exit 0) when nothing was lost or duplicated and every strike's cameras were taken over;
the figures are printed either way. Needs root (ip netns), PostgreSQL (URBANWATCH_TEST_PG, an admin
URL) and Redis at 127.0.0.1:6379, and ../shared (URBANWATCH_SHARED).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from .cluster import Host, duplicates, fresh_database, log_lines, netns_available, worker_argv, write_config
from .rtsp import SHARED, CameraServer

REDIS_URL = "redis://127.0.0.1:6379/0"
QUEUE = "data/clips/street/saigon_red_light_queue.mp4"
QUIET = "data/clips/negatives/highway_shoulder.avi"
MODEL = "models/yolov8n_int8.onnx"
QUEUE_ZONES = [  # the clip's ground-truth zones (as in tests/test_failover.py): two parked cars in the far corner
    {"name": "sidewalk_far_corner", "kind": "sidewalk", "dwell_s": 3, "objects": ["vehicle"],
     "polygon": [[703, 40], [885, 45], [885, 121], [802, 111], [752, 107], [703, 98]]},
    {"name": "sidewalk_near_right", "kind": "sidewalk", "dwell_s": 3, "objects": ["vehicle"],
     "polygon": [[858, 345], [905, 345], [962, 440], [1018, 470], [1018, 530], [985, 530]]},
]
EVENT_CAMERAS = ("queue1", "queue2")
PARKED_ZONE = "sidewalk_far_corner"
FAILOVER_S = 15.0  # the allowance after a kill or cut
RESTART_S = 10.0  # a killed machine comes back after this
HEAL_S = 15.0  # a cut link comes back after this
REJOIN_S = 120.0  # a machine back that holds no camera this long after is reported (and struck no more)
SAMPLE_S = 0.5


class Observer:
    """Samples the cluster through the database, and keeps what it saw."""

    def __init__(self, db, hosts: list[Host]):
        self.db, self.hosts = db, hosts
        self.logs: dict[int, list[Path]] = {h.index: [] for h in hosts}
        self.worker_host: dict[str, int] = {}
        self.samples: list[dict] = []

    def started(self, h: Host) -> None:
        self.logs[h.index].append(h.log_path)

    def host_of(self, worker: str | None) -> int | None:
        """The machine a worker runs on: its log names its worker id."""
        if not worker:
            return None
        if worker not in self.worker_host:
            for index, paths in self.logs.items():
                if any(p.exists() and worker in p.read_text(errors="replace") for p in paths):
                    self.worker_host[worker] = index
        return self.worker_host.get(worker)

    def sample(self) -> dict:
        from models.leases import holders
        from models.schema import Camera, Event
        from models.types import utcnow

        now = utcnow()
        with self.db.session() as s:
            held = {c: (w if w and exp and exp > now else None) for c, (w, _, exp) in holders(s).items()}
            health = {c.id: ((c.health or {}).get("worker", ""), c.health_updated_at.timestamp())
                      for c in s.scalars(select(Camera)) if c.health_updated_at is not None}
            parked = Counter(cam for cam, in s.execute(select(Event.camera_id).where(
                Event.camera_id.in_(EVENT_CAMERAS), Event.zone_name == PARKED_ZONE, Event.ended_at.is_(None))))
        out = {"t": time.time(), "held": held, "health": health, "parked": parked}
        self.samples.append(out)
        return out

    def all_served(self, since: float) -> bool:
        s = self.samples[-1]
        workers = {w for w in s["held"].values() if w}
        return (len(s["held"]) == 12 and all(s["held"].values()) and len(workers) == 3
                and all(w in s["health"].get(c, ("", 0.0))[0] and s["health"][c][1] > since
                        for c, w in s["held"].items()))

    def messages(self) -> dict[int, list[str]]:
        return {index: [str(rec.get("message", "")) for p in paths if p.exists()
                        for rec in log_lines(p.read_text(errors="replace"))] for index, paths in self.logs.items()}

    def not_storing(self) -> dict[int, int]:
        return {index: sum(m.startswith("not storing") for m in ms) for index, ms in self.messages().items()}

    def health_refused(self) -> dict[int, int]:
        """Health writes refused by the lease check (the worker's figures for all its cameras, one
        transaction: logged as "could not store camera health", not "not storing")."""
        return {index: sum("could not store camera health" in m and ("not this worker's" in m or "is held by" in m)
                           for m in ms) for index, ms in self.messages().items()}

    def renew_failures(self) -> Counter:
        return Counter(m.split("cannot renew camera leases: ", 1)[1][:60] for ms in self.messages().values()
                       for m in ms if "cannot renew camera leases: " in m)


class Strike:
    def __init__(self, at: float, host: Host, action: str, worker: str | None, cameras: list[str]):
        self.at, self.host, self.action, self.worker, self.cameras = at, host, action, worker, cameras
        self.back_at = at + (RESTART_S if action == "kill" else HEAL_S)
        self.back = False
        self.rejoined_s: float | None = None  # after it came back, until it held cameras again
        self.gave_up = False  # it had not rejoined REJOIN_S after coming back
        self.resumed: dict[str, float] = {}  # camera -> seconds until served elsewhere

    @property
    def down(self) -> bool:
        """Down from the strike until it holds cameras again: a restarted worker loads its model
        for tens of seconds first, and a machine booting is not one to count on."""
        return not self.back or (self.rejoined_s is None and not self.gave_up)

    def observe(self, s: dict, observer: Observer) -> None:
        if self.back and self.rejoined_s is None and not self.gave_up:
            if any(w and observer.host_of(w) == self.host.index for w in s["held"].values()):
                self.rejoined_s = s["t"] - self.back_at
            elif s["t"] - self.back_at > REJOIN_S:
                self.gave_up = True
        for cam in self.cameras:
            w = s["held"].get(cam)
            if cam in self.resumed or not w or w == self.worker or observer.host_of(w) == self.host.index:
                continue
            who, at = s["health"].get(cam, ("", 0.0))
            if w in who and at > self.at:
                self.resumed[cam] = s["t"] - self.at

    @property
    def failover_s(self) -> float | None:
        if len(self.resumed) < len(self.cameras):
            return None
        return max(self.resumed.values(), default=0.0)


def run(args) -> int:
    why = netns_available()
    if why:
        raise SystemExit(f"network namespaces are needed: {why}")
    for rel in (QUEUE, QUIET, MODEL):
        if not (SHARED / rel).exists():
            raise SystemExit(f"{SHARED / rel} not found (set URBANWATCH_SHARED)")
    from models import Database
    from models.schema import Event
    from urbanwatch.config import load_config
    from urbanwatch.runtime.service import prepare_database

    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="uw-chaos-"))
    clips = {"queue1": SHARED / QUEUE, "queue2": SHARED / QUEUE}
    clips.update({f"quiet{i}": SHARED / QUIET for i in range(1, 11)})
    (root / "rtsp").mkdir()
    cams = CameraServer(root / "rtsp", clips)
    hosts: list[Host] = []
    db = None
    print(f"chaos: logs and data in {root}", flush=True)
    cams.start()
    try:
        with fresh_database("urbanwatch_chaos") as url:
            try:
                cameras = [{"id": n, "name": n, "ward": "Bến Thành", "url": cams.url(n), "tampering": False,
                            "detect": {"fps": 1}, "zones": QUEUE_ZONES if n in EVENT_CAMERAS else []} for n in clips]
                config = write_config(root / "config.yaml", root / "data", url, REDIS_URL, SHARED / MODEL, cameras)
                prepare_database(load_config(config)).dispose()
                db = Database(url)
                obs = Observer(db, [])
                for i in range(1, 4):
                    h = Host(i, [5432, 6379, cams.port], root)
                    hosts.append(h)
                    obs.logs[i] = []
                    h.up()
                    h.worker_env = h.env(url, REDIS_URL)  # the database and Redis across its link
                    h.start(worker_argv(config), h.worker_env)
                    obs.started(h)
                result = chaos(args, rng, db, hosts, obs, config, Event)
            finally:
                for h in hosts:
                    h.down()
                if db is not None:
                    db.dispose()
    finally:
        cams.stop()
    return result


def bring_back(k: Strike, obs: Observer, config: Path, start: float) -> None:
    if k.action == "kill":
        k.host.start(worker_argv(config), k.host.worker_env)
        obs.started(k.host)
    else:
        k.host.heal()
    k.back = True
    print(f"  +{time.time() - start:5.1f} s machine {k.host.index} back "
          f"({'restarted' if k.action == 'kill' else 'healed'})", flush=True)


def chaos(args, rng: random.Random, db, hosts: list[Host], obs: Observer, config: Path, Event) -> int:
    # warm-up: every camera served, the three machines sharing them, the parked cars' incidents open
    t0 = time.time()
    while True:
        s = obs.sample()
        if obs.all_served(t0 - 60) and all(s["parked"][c] for c in EVENT_CAMERAS):
            break
        if time.time() - t0 > args.warmup:
            raise SystemExit(f"warm-up not reached in {args.warmup:.0f} s: held {s['held']}, parked {s['parked']}")
        time.sleep(SAMPLE_S)
    start = time.time()
    print(f"chaos: warm-up took {start - t0:.0f} s; striking every {args.every:.0f} s for {args.minutes:g} min",
          flush=True)
    strikes: list[Strike] = []
    end = start + args.minutes * 60
    next_strike = start + args.every
    while time.time() < end:
        tick = time.time()
        s = obs.sample()
        for k in strikes:
            k.observe(s, obs)
            if not k.back and tick >= k.back_at:
                bring_back(k, obs, config, start)
        down = any(k.down for k in strikes)
        if tick >= next_strike and not down:
            host = rng.choice([h for h in hosts if not any(k.gave_up and k.host is h for k in strikes)])
            action = rng.choice(["kill", "cut"])
            mine = {c: w for c, w in s["held"].items() if w and obs.host_of(w) == host.index}
            worker = next(iter(mine.values()), None)
            k = Strike(time.time(), host, action, worker, sorted(mine))
            if action == "kill":
                host.kill()
            else:
                host.cut()
            strikes.append(k)
            print(f"  +{k.at - start:5.1f} s {action} machine {host.index} ({worker}): {', '.join(k.cameras) or '-'}",
                  flush=True)
            next_strike = max(next_strike + args.every, k.at + args.every / 2)
        time.sleep(max(0.0, SAMPLE_S - (time.time() - tick)))
    # the machine down at the end comes back, and the last strikes get their time to fail over
    settle = time.time() + RESTART_S + REJOIN_S
    while time.time() < settle and any(k.down or k.failover_s is None for k in strikes):
        tick = time.time()
        s = obs.sample()
        for k in strikes:
            k.observe(s, obs)
            if not k.back and tick >= k.back_at:
                bring_back(k, obs, config, start)
        time.sleep(max(0.0, SAMPLE_S - (time.time() - tick)))
    stop = time.time()
    with db.session() as ses:
        events = list(ses.scalars(select(Event).order_by(Event.id)))
        twice = [(k, n) for k, n in ses.execute(select(Event.event_key, func.count()).where(
            Event.event_key.is_not(None)).group_by(Event.event_key).having(func.count() > 1))]
    return report(args, start, stop, strikes, obs, events, twice)


def _excused(t: float, strikes: list[Strike]) -> bool:
    return any(k.at <= t <= k.at + FAILOVER_S for k in strikes)


def report(args, start: float, stop: float, strikes: list[Strike], obs: Observer, events, twice) -> int:
    samples = [s for s in obs.samples if start <= s["t"] <= stop]
    cams = sorted(samples[0]["held"]) if samples else []
    per_camera = {}
    for cam in cams:
        updates = sorted({s["health"][cam][1] for s in samples if cam in s["health"]})
        marks = [start, *[u for u in updates if u > start], stop]
        gap = max(b - a for a, b in zip(marks, marks[1:], strict=False))
        changes, last = 0, None
        for s in samples:
            w = s["held"].get(cam)
            if w and w != last:
                changes += last is not None
                last = w
        per_camera[cam] = {"longest_gap_s": round(gap, 1), "holder_changes": changes}
    missing: dict[str, list[float]] = {c: [] for c in EVENT_CAMERAS}
    for s in samples:
        for cam in EVENT_CAMERAS:
            if not s["parked"][cam] and not _excused(s["t"], strikes):
                missing[cam].append(round(s["t"] - start, 1))
    open_counts = {c: sorted(Counter(s["parked"][c] for s in samples).items()) for c in EVENT_CAMERAS}
    ended = [e for e in events if e.ended_at is not None]
    reasons = Counter(f"{e.camera_id}/{e.zone_name}: {e.end_reason}" for e in ended)
    bad_end = [e for e in ended if e.end_reason != "left"]
    dup = duplicates(events)
    refused = obs.not_storing()
    health_refused = obs.health_refused()
    renew = obs.renew_failures()
    lost = sum(len(v) for v in missing.values()) + len(bad_end)
    duplicated = len(dup) + len(twice)
    untaken = [k for k in strikes if k.failover_s is None]
    unjoined = [k for k in strikes if k.rejoined_s is None]
    figures = {
        "minutes": args.minutes, "every_s": args.every, "seed": args.seed,
        "samples": len(samples), "cameras": per_camera,
        "events": {"stored": len(events), "open": sum(e.ended_at is None for e in events),
                   "by_camera_zone": dict(Counter(f"{e.camera_id}/{e.zone_name}" for e in events))},
        "lost": {"total": lost, "parked_incident_missing_samples": {c: len(v) for c, v in missing.items()},
                 "missing_at_s": missing, "open_parked_incidents_per_sample": open_counts, "ended_not_left": [
                     {"id": e.id, "camera": e.camera_id, "zone": e.zone_name, "reason": e.end_reason,
                      "raised": e.raised_at.isoformat(), "ended": e.ended_at.isoformat()} for e in bad_end],
                 "end_reasons": dict(reasons)},
        "duplicated": {"total": duplicated, "overlapping_open": dup, "event_key_twice": [list(x) for x in twice]},
        "not_storing": {"total": sum(refused.values()), "by_machine": refused},
        "health_writes_refused": {"total": sum(health_refused.values()), "by_machine": health_refused},
        "lease_renewals_failed": dict(renew),
        "strikes": [{"at_s": round(k.at - start, 1), "machine": k.host.index, "action": k.action,
                     "cameras": k.cameras, "failover_s": None if k.failover_s is None else round(k.failover_s, 1),
                     "rejoined_after_back_s": None if k.rejoined_s is None else round(k.rejoined_s, 1),
                     "resumed_s": {c: round(v, 1) for c, v in sorted(k.resumed.items())}} for k in strikes],
    }
    print(f"\nchaos run: {args.minutes:g} min, a strike every {args.every:.0f} s, seed {args.seed}, "
          f"{len(samples)} samples\n")
    print(f"{'camera':<8} {'longest gap s':>13} {'holder changes':>15}")
    for cam, f in per_camera.items():
        print(f"{cam:<8} {f['longest_gap_s']:>13.1f} {f['holder_changes']:>15}")
    print(f"\n{'strike':>6} {'at s':>6} {'machine':>7} {'action':>6} {'cameras':>7} {'failover s':>10} "
          f"{'rejoined s':>10}")
    for i, k in enumerate(figures["strikes"], 1):
        fo = "never" if k["failover_s"] is None else f"{k['failover_s']:.1f}"
        rj = "never" if k["rejoined_after_back_s"] is None else f"{k['rejoined_after_back_s']:.1f}"
        print(f"{i:>6} {k['at_s']:>6.1f} {k['machine']:>7} {k['action']:>6} {len(k['cameras']):>7} {fo:>10} {rj:>10}")
    print(f"\nevents stored {len(events)} ({figures['events']['open']} open): {figures['events']['by_camera_zone']}")
    print(f"end reasons: {dict(reasons) or '-'}")
    print("open far-corner incidents per sample (count: samples): "
          + "; ".join(f"{c} {dict(v)}" for c, v in open_counts.items()))
    print(f"events lost: {lost} (parked-car incident missing, outside the {FAILOVER_S:.0f} s allowance: "
          f"{figures['lost']['parked_incident_missing_samples']} samples; ended other than 'left': {len(bad_end)})")
    for cam, ts in missing.items():
        if ts:
            print(f"  {cam} missing at +s: {ts}")
    print(f"events duplicated: {duplicated} (overlapping open: {dup or 0}; event_key twice: {twice or 0})")
    print(f"writes refused by fencing ('not storing'): {sum(refused.values())} {refused}; health writes refused "
          f"by the lease check: {sum(health_refused.values())} {health_refused}")
    print(f"lease renewals that failed: {dict(renew) or 0}")
    if untaken:
        print(f"strikes whose cameras were never all taken over: {[round(k.at - start, 1) for k in untaken]}")
    if unjoined:
        print(f"strikes whose machine never held a camera again: {[round(k.at - start, 1) for k in unjoined]}")
    ok = lost == 0 and duplicated == 0 and not untaken and not unjoined
    print(f"\n{'PASS' if ok else 'FAIL'}")
    figures["pass"] = ok
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0 if ok else 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=5.0)
    p.add_argument("--every", type=float, default=30.0, help="seconds between strikes")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--warmup", type=float, default=300.0, help="seconds allowed for the cluster to settle first")
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args()
    if args.every < max(RESTART_S, HEAL_S):
        raise SystemExit(f"--every must be at least {max(RESTART_S, HEAL_S):.0f} s (one machine down at a time)")

    def terminate(*_):
        raise SystemExit(130)

    signal.signal(signal.SIGTERM, terminate)
    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
