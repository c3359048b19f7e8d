"""urbanwatch: camera-feed monitoring for urban-order violations.

The data path runs through four top-level packages, one per stage:
``streams`` (camera video in, event stream out) -> ``vision`` (frames to observations and
violations, pure) -> ``models`` (persistent data) -> ``api`` (REST, WebSocket, console).
This package holds what sits beside that path: the configuration model, the command line and
the runtime that wires the stages together in worker processes.
"""

__version__ = "0.1.0"
