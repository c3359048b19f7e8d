"""Is a camera's RTSP port answering? A TCP connect, much cheaper than opening the stream: while
a dead camera's reconnect backoff runs, it tells the moment the camera is back."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

RTSP_PORT = 554


def endpoint(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in ("rtsp", "rtsps") or not parts.hostname:
        return None
    return parts.hostname, parts.port or (322 if parts.scheme == "rtsps" else RTSP_PORT)


def accepts(address: tuple[str, int], timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout_s):
            return True
    except OSError:
        return False
