"""The `urbanwatch` command line: `main` (run, demo, check-config, eval, export-model), `users`
(accounts and areas) and `evidence` (verify, purge), sharing `common`."""

from .main import app, main

__all__ = ["app", "main"]
