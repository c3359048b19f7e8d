"""Logging set-up shared by the service and its worker processes: readable text on a terminal, or
one JSON object per line for a log system (`--log-format json`). The format travels to worker
processes in URBANWATCH_LOG_FORMAT."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from rich.logging import RichHandler

FORMAT_ENV = "URBANWATCH_LOG_FORMAT"
FORMATS = ("text", "json")
# Fields a log call may add with `extra=`, kept as fields of the JSON object.
CONTEXT = ("camera", "event_id", "zone", "worker")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "process": record.processName,  # MainProcess, or the worker's name (worker-0, ...)
            "message": record.getMessage(),
        }
        for key in CONTEXT:
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info:
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def setup_logging(level: str = "INFO", fmt: str | None = None) -> None:
    fmt = fmt or os.environ.get(FORMAT_ENV, "text")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    os.environ[FORMAT_ENV] = fmt  # worker processes started from here log the same way
    if fmt == "json":
        handler: logging.Handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
    else:
        handler = RichHandler(show_path=False, rich_tracebacks=True, markup=False)
    logging.basicConfig(
        level=level.upper(),
        format="%(processName)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
        handlers=[handler],
        force=True,
    )
    for noisy in ("libav", "httpx", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
