"""Camera ingest: one reader thread per camera, decoding with PyAV, keeping only the latest frame.

- RTSP over TCP with open and read timeouts (PyAV's interrupt callback), so a dead camera
  fails fast and a stalled one cannot block forever.
- A watchdog on wall time since the last new frame: a camera that stops delivering is offline,
  and a reader stuck beyond its own timeouts is abandoned and replaced.
- Reconnect with capped exponential backoff; while waiting, the camera's port is probed every
  second, and a camera whose port starts answering again is reopened at once (not after the rest
  of a 30 s wait).
- Latest-frame semantics: decoding keeps up with the stream, but only the newest picture is kept;
  a slow detector never builds a backlog, and the pictures it never saw are counted as skipped.
- Frames nobody will look at are not decoded: told when the next frame is wanted, the reader
  leaves the rest of a GOP undecoded once the next keyframe will do (see gop.py).
- A video file is replayed at real speed and looped, as a live camera.
- A camera's main stream can be read for clips alone (`decode=False`): its packets are kept, never
  decoded, while detection decodes the substream.

The reader is made of parts that are tested alone: `IngestStats` (counts and rates, one lock, a
given clock), `ClipBuffer` (recent packets and the clips cut from them), `ReplayPacer` (a file's
pace) and `DecodePlanner` (which frames to decode).
"""

from __future__ import annotations

import logging
import threading
import time

import av

from .backoff import Backoff
from .clip_buffer import ClipBuffer
from .clips import ClipResult
from .frames import BgrConverter, Frame, display_size
from .gop import DecodePlanner, is_idr
from .health import CameraHealth, CameraState
from .ingest_stats import IngestStats
from .packets import StoredPacket, StreamFormat
from .reachability import accepts, endpoint
from .replay import ReplayPacer

log = logging.getLogger(__name__)
PROBE_EVERY_S = 1.0  # how often a dead camera's port is tried while its backoff runs


class CameraSource:
    """Reads one camera in a background thread; `latest()` hands out the newest frame."""

    def __init__(
        self,
        camera_id: str,
        url: str,
        *,
        size: tuple[int, int] | None = None,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 5.0,
        offline_after_s: float = 10.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        keep_s: float = 0.0,
        decode: bool = True,
    ):
        self.camera_id = camera_id
        self.decode = decode  # False: a recording stream, its packets only kept for clips
        self.url = url
        self.size = size
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.offline_after_s = offline_after_s
        self.backoff = Backoff(backoff_initial_s, backoff_max_s)
        self.is_file = "://" not in url

        self._lock = threading.Lock()
        self._new_frame = threading.Condition(self._lock)
        self._to_bgr = BgrConverter()
        self._convert_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._generation = 0  # bumps when a stuck reader is abandoned; its late frames are ignored

        self._latest: av.VideoFrame | None = None
        self._latest_meta: tuple[int, float, float | None] | None = None  # seq, t, pts_s
        self._taken_seq = 0
        self._seq = 0
        self._native_size: tuple[int, int] | None = None
        self._started_at = 0.0
        self._last_frame_at: float | None = None
        self._last_progress = 0.0  # any sign of life from the reader: a packet, an error, a retry
        self._error: str | None = None
        self.stats = IngestStats()
        self.target_fps: float | None = None  # the detect rate asked for, to show shed load
        # when the consumer will next take a frame (wall clock), set by it; None: decode every frame
        self.wanted_at: float | None = None
        self._decode_plan = DecodePlanner()
        # compressed packets for incident clips (keep_s = 0: no clips)
        self.clips = ClipBuffer(keep_s) if keep_s > 0 else None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> CameraSource:
        self._started_at = self._last_progress = time.time()
        self._spawn_reader()
        return self

    def stop(self, timeout: float = 5.0) -> list[ClipResult]:
        """Stops reading; clips still being written are closed as they are (and returned)."""
        self._stop.set()
        with self._lock:
            self._new_frame.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        return self.clips.close_all() if self.clips is not None else []

    def _spawn_reader(self) -> None:
        self._generation += 1
        self._thread = threading.Thread(
            target=self._run, args=(self._generation,), name=f"camera-{self.camera_id}", daemon=True
        )
        self._thread.start()

    def watchdog(self, now: float | None = None) -> None:
        """Replace a reader that shows no sign of life well past its own timeouts (it is stuck in
        a call that ignored them). Called periodically by the worker."""
        now = time.time() if now is None else now
        stuck_after = self.open_timeout_s + self.read_timeout_s + self.offline_after_s
        if not self._stop.is_set() and now - self._last_progress > stuck_after:
            log.warning("camera %s: reader stuck for %.0f s, starting a new one", self.camera_id,
                        now - self._last_progress)
            self._last_progress = now
            self._spawn_reader()

    # ----------------------------------------------------------------- reader thread
    def _run(self, generation: int) -> None:
        while not self._stop.is_set() and generation == self._generation:
            try:
                self._read_once(generation)
                if self.is_file:
                    continue  # end of the file: loop it like a live camera
                self._error = "stream ended"
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                log.info("camera %s: %s", self.camera_id, self._error, extra={"camera": self.camera_id})
            except Exception as exc:  # a bug or a codec surprise must not end the camera for good
                self._error = f"{type(exc).__name__}: {exc}"
                log.exception("camera %s: reader failed", self.camera_id, extra={"camera": self.camera_id})
            if self._stop.is_set() or generation != self._generation:
                break
            delay = self.backoff.next_delay()
            self._last_progress = time.time()
            self._wait_to_reconnect(delay)
            self._last_progress = time.time()

    def _wait_to_reconnect(self, delay: float) -> None:
        """The backoff's delay, cut short when the camera's port comes back: a port that did not
        answer and now does is a camera back on line. A port that answered all along (the server
        is up, the stream is not) waits the whole delay, so that it is not hammered."""
        address = endpoint(self.url)
        if address is None:
            self._stop.wait(delay)
            return
        was_up = accepts(address)
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            if self._stop.wait(min(PROBE_EVERY_S, left)):
                return
            up = accepts(address)
            if up and not was_up:
                log.info("camera %s: answering again, reconnecting now", self.camera_id,
                         extra={"camera": self.camera_id})
                return
            was_up = up

    def _open(self) -> av.container.InputContainer:
        if self.is_file:
            return av.open(self.url)
        return av.open(
            self.url,
            options={"rtsp_transport": "tcp", "max_delay": "500000"},
            timeout=(self.open_timeout_s, self.read_timeout_s),
        )

    def _read_once(self, generation: int) -> None:
        container = self._open()
        connection = self.stats.connected()
        try:
            stream = container.streams.video[0]
            fmt = StreamFormat.of(stream)
            pacer = ReplayPacer(self._stop.wait) if self.is_file else None
            got_frames, delivered = 0, False
            offset: float | None = None  # camera timeline -> wall clock, fixed per connection
            self._decode_plan.reset()
            for packet in container.demux(stream):
                now = self._last_progress = time.time()
                if self._stop.is_set() or generation != self._generation:
                    return
                if packet.size == 0:  # the end of the stream: what the decoder still holds
                    for frame in packet.decode():
                        self._publish(frame, generation)
                    continue
                dts = packet.dts if packet.dts is not None else packet.pts
                dts_s = float(dts * packet.time_base) if dts is not None else None
                if pacer is not None and dts_s is not None:  # replay at real speed
                    if pacer.hold(dts_s):
                        return
                    now = time.time()
                pts_s = float(packet.pts * packet.time_base) if packet.pts is not None else None
                data = bytes(packet) if self.clips is not None or packet.is_keyframe else None
                if self.clips is not None and pts_s is not None:
                    if offset is None:
                        offset = now - pts_s
                    self.clips.store(StoredPacket(data, pts_s + offset,
                                                  (dts_s if dts_s is not None else pts_s) + offset,
                                                  packet.is_keyframe, fmt, connection))
                self.stats.packet(now)
                if not self.decode:  # a recording stream: a packet is its sign of life
                    self._last_frame_at = now
                    got_frames += 1
                elif self._decode_plan.decode(keyframe=packet.is_keyframe,
                                              idr=packet.is_keyframe and is_idr(data, fmt.codec), pts_s=pts_s,
                                              now=now, wanted_at=self.wanted_at, slack_s=self._decode_slack()):
                    for frame in packet.decode():
                        self._publish(frame, generation)
                        got_frames += 1
                if got_frames >= 25 and not delivered:  # a connection that delivers is a success
                    delivered = True
                    self.backoff.reset()
                    self._error = None
        finally:
            container.close()

    def _decode_slack(self) -> float:
        """How late a wanted frame may come when the next keyframe can stand in for it: half the
        detect interval, at most a quarter of a second."""
        return min(0.25, 0.5 / self.target_fps) if self.target_fps else 0.0

    def _publish(self, frame: av.VideoFrame, generation: int) -> None:
        now = time.time()
        pts_s = float(frame.time) if frame.time is not None else None
        with self._lock:
            if generation != self._generation:
                return
            if self._latest is not None and self._latest_meta[0] > self._taken_seq:
                self.stats.skipped(now)
            self._seq += 1
            self._latest = frame
            self._latest_meta = (self._seq, now, pts_s)
            self._last_frame_at = now
            self._native_size = display_size(frame)
            self._new_frame.notify_all()
        self.stats.decoded(now)

    # ----------------------------------------------------------------- incident clips
    def record(self, clip_id: str, path, start_t: float, end_t: float) -> bool:
        """Writes the camera's video from `start_t` (from the keyframe before it, as far back as the
        buffer reaches) to `end_t` into an MP4 at `path`. Returns False when clips are off."""
        if self.clips is None:
            return False
        self.clips.record(clip_id, path, start_t, end_t)
        return True

    def finished_clips(self, now: float | None = None) -> list[ClipResult]:
        """Clips that are done: their window has passed (also when the camera sent nothing since)."""
        return self.clips.finished(time.time() if now is None else now) if self.clips is not None else []

    def set_keep(self, keep_s: float) -> None:
        if self.clips is not None:
            self.clips.set_keep(keep_s)

    # ----------------------------------------------------------------- consumer side
    def has_new(self, after_seq: int) -> bool:
        """A frame newer than `after_seq` is waiting (cheap: no conversion). Not while the rest of a
        GOP goes undecoded: the next keyframe is the frame to take, not the one before the gap."""
        with self._lock:
            return self._latest is not None and self._latest_meta[0] > after_seq and not self._decode_plan.skipping

    def latest(self, after_seq: int = 0, wait_s: float = 0.0) -> Frame | None:
        """The newest frame if it is newer than `after_seq` (optionally waiting for one), converted
        to BGR at the output size. Conversion happens here, only for frames that are used."""
        deadline = time.time() + wait_s
        with self._lock:
            while self._latest is None or self._latest_meta[0] <= after_seq:
                remaining = deadline - time.time()
                if remaining <= 0 or self._stop.is_set():
                    return None
                self._new_frame.wait(remaining)
            frame, (seq, t, pts_s) = self._latest, self._latest_meta
            native = self._native_size
            self._taken_seq = seq
        with self._convert_lock:  # one conversion at a time keeps the converter's context its own
            image = self._to_bgr(frame, self.size)
        return Frame(self.camera_id, seq, t, pts_s, image, native)

    def mark_processed(self, now: float | None = None, inferences: int = 1) -> None:
        """A frame was analysed, with this many detector runs (tiles)."""
        self.stats.processed(inferences, now)

    def health(self, now: float | None = None) -> CameraHealth:
        now = time.time() if now is None else now
        last = self._last_frame_at
        if last is not None and now - last <= self.offline_after_s:
            state = CameraState.ONLINE
        elif last is None and now - self._started_at < self.offline_after_s:
            state = CameraState.CONNECTING
        else:
            state = CameraState.OFFLINE
        w, h = self.size or self._native_size or (None, None)
        f = self.stats.figures(now)
        return CameraHealth(
            camera_id=self.camera_id,
            state=state,
            fps_in=f.fps_in,
            fps_decoded=f.fps_decoded,
            fps_processed=f.fps_processed,
            fps_skipped=f.fps_skipped,
            last_frame_at=last,
            reconnects=max(0, f.connects - 1),
            frames_in=f.frames_in,
            frames_decoded=f.frames_decoded,
            frames_processed=f.frames_processed,
            frames_skipped=f.frames_skipped,
            error=self._error if state != CameraState.ONLINE else None,
            width=w,
            height=h,
            fps_target=self.target_fps,
            inferences=f.inferences,
        )
