"""`urbanwatch stream tail`: the feed's Redis Stream read through a consumer group, for outside
consumers and operators."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from .common import ConfigOption, fail, load_settings

stream_app = typer.Typer(help="The feed on its Redis Stream (sinks.redis_stream).", no_args_is_help=True)


def _where(config: Path, redis_url: str | None, stream: str | None) -> tuple[str, str]:
    """The Redis and the stream: the options, else the configuration's stream sink, else storage.redis_url."""
    from streams.redis_stream import DEFAULT_STREAM

    settings = load_settings(config)
    cfg = settings.sinks.redis_stream
    if redis_url is None:
        try:
            redis_url = settings.sinks.stream_redis_url(settings.storage.redis_url)
        except ValueError as exc:
            fail(str(exc))
        redis_url = redis_url or (cfg.redis_url if cfg else None) or settings.storage.redis_url
    if not redis_url:
        fail("no Redis to read the stream from: set sinks.redis_stream.redis_url or storage.redis_url "
             "in the configuration, or give --redis-url")
    return redis_url, stream or (cfg.stream if cfg else DEFAULT_STREAM)


@stream_app.command("tail")
def tail(
    group: Annotated[str, typer.Option("--group", "-g", help="Consumer group: every group sees every entry once; "
                                       "the consumers of one group share its entries. Created if missing.")],
    consumer: Annotated[str | None, typer.Option(help="This reader's name in the group (default: the host name). "
                                                 "A reader that comes back under the same name first gets what it "
                                                 "was given but had not acknowledged.")] = None,
    from_start: Annotated[bool, typer.Option("--from-start", help="A new group starts at the oldest entry the "
                                             "stream keeps (by default: at the next new one). An existing group "
                                             "continues where it stands.")] = False,
    count: Annotated[int | None, typer.Option(min=1, help="Stop after this many messages (default: follow until "
                                              "Ctrl-C).")] = None,
    no_ack: Annotated[bool, typer.Option("--no-ack", help="Print without acknowledging: the messages stay pending "
                                         "and are given again (to this consumer when it returns, or to another "
                                         "of the group once idle for --claim-idle).")] = False,
    claim_idle: Annotated[float, typer.Option(min=0.001, help="Seconds after which another consumer's "
                                              "unacknowledged entries are taken over (it is taken for dead).")] = 60.0,
    idle_exit: Annotated[float | None, typer.Option(min=0.1, help="Stop when nothing came for this many seconds "
                                                    "(default: wait for more).")] = None,
    redis_url: Annotated[str | None, typer.Option(help="The Redis (default: sinks.redis_stream.redis_url, else "
                                                  "storage.redis_url).")] = None,
    stream: Annotated[str | None, typer.Option(help="The stream (default: sinks.redis_stream.stream, else "
                                               "urbanwatch:feed).")] = None,
    config: ConfigOption = Path("config.yaml"),
) -> None:
    """Print the feed's messages from the Redis Stream, one JSON line each, acknowledging each after it
    is printed: a tail that is stopped and started again continues where it stopped, with nothing
    repeated or lost (a message printed just before a crash, not yet acknowledged, comes again).

    Each line is the message consoles get (`id` is its feed id, `type` what it is). The stream
    is written by the `redis_stream` sink of `urbanwatch run`.
    """
    import redis

    from streams.redis_stream import StreamConsumer

    url, stream_name = _where(config, redis_url, stream)
    block_ms = 1000 if idle_exit is None else max(100, min(1000, int(idle_exit * 1000)))
    left = count
    try:
        reader = StreamConsumer(url, stream_name, group, consumer or socket.gethostname(), block_ms,
                                start_id="0" if from_start else "$", claim_idle_ms=int(claim_idle * 1000))
        quiet_since = time.monotonic()
        while left is None or left > 0:
            batch = reader.read(min(left or 100, 100))
            if not batch:
                if idle_exit is not None and time.monotonic() - quiet_since >= idle_exit:
                    break
                continue
            quiet_since = time.monotonic()
            for stream_id, message in batch:
                sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
                sys.stdout.flush()
                if not no_ack:
                    reader.ack([stream_id])
            if left is not None:
                left -= len(batch)
        reader.close()
    except (redis.RedisError, OSError) as exc:
        fail(f"Redis at {url}: {type(exc).__name__}: {exc}")
    except KeyboardInterrupt:
        pass
