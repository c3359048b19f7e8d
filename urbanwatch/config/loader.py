"""Reads config.yaml: YAML, then ${ENV_VAR} substitution, then per-machine overrides from the
environment, then validation of the whole tree. Every error is reported with its YAML path."""

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .settings import Settings

# Per-machine settings that deployments set from the environment rather than the shared YAML.
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "URBANWATCH_MODEL": ("detector", "model"),
    "URBANWATCH_DEVICE": ("detector", "device"),
    "URBANWATCH_DATABASE_URL": ("storage", "database_url"),
    "URBANWATCH_DATA_DIR": ("storage", "data_dir"),
    "URBANWATCH_MEDIA_DIR": ("storage", "media_dir"),
    "URBANWATCH_MODELS_DIR": ("storage", "models_dir"),
    "URBANWATCH_REDIS_URL": ("storage", "redis_url"),
    "URBANWATCH_HOST": ("server", "host"),
    "URBANWATCH_PORT": ("server", "port"),
    "URBANWATCH_WORKERS": ("workers", "processes"),
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """An invalid configuration; `errors` holds one 'path: message' line per problem."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def format_loc(loc: tuple[Any, ...]) -> str:
    """("cameras", 2, "zones", 0, "polygon") -> "cameras[2].zones[0].polygon"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required",
}


def validation_lines(
    exc: ValidationError | list[dict],
    prefix: tuple = (),
    messages: Mapping[str, str] | None = None,
    show_input: bool = False,
    names: Mapping[str, str] | None = None,
    top: str | None = None,
) -> list[str]:
    """One line per problem, "path: message", for every place that reports pydantic's errors to
    people (the configuration, the API's refusals, ground-truth files). `messages` rewords error
    types, `show_input` adds the offending value, `names` renames fields in paths, `top` names an
    empty path (by default whole-tree checks name their own paths)."""
    messages = {**MESSAGES, **(messages or {})}
    lines = []
    for err in exc if isinstance(exc, list) else exc.errors(include_url=False):
        msg = messages.get(err["type"], err["msg"])
        for lead in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(lead)
        value = err.get("input")
        if show_input and err["type"] not in messages and isinstance(value, str | int | float | bool) \
                and len(str(value)) < 40:
            msg += f", got {json.dumps(value)}"  # JSON spelling: true, NaN, "640"
        loc = format_loc((*prefix, *((names or {}).get(p, p) if isinstance(p, str) else p for p in err["loc"])))
        if not loc and top is None:  # whole-tree checks already name their paths
            lines.extend(msg.splitlines())
        elif not loc:
            lines.append(f"{top}: {msg}")
        else:
            lines.append(f"{loc}: {msg}")
    return lines


def _substitute(node: Any, env: Mapping[str, str], path: tuple, errors: list[str]) -> Any:
    if isinstance(node, dict):
        return {k: _substitute(v, env, (*path, k), errors) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, env, (*path, i), errors) for i, v in enumerate(node)]
    if not isinstance(node, str) or "${" not in node:
        return node

    def repl(m: re.Match) -> str:
        name, default = m.group(1), m.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        errors.append(f"{format_loc(path)}: environment variable {name} is not set")
        return ""

    return _VAR.sub(repl, node)


def _apply_overrides(data: dict, env: Mapping[str, str]) -> None:
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            block = data.get(section)
            if block is None:
                block = data[section] = {}
            if isinstance(block, dict):
                block[key] = env[var]


def parse_config(data: Any, base_dir: Path, env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(["(top level): must be a mapping of sections (server, storage, cameras, ...)"])
    errors: list[str] = []
    data = _substitute(data, env, (), errors)
    if errors:
        raise ConfigError(errors)
    _apply_overrides(data, env)
    try:
        return Settings.model_validate(data, context={"base_dir": str(base_dir)})
    except ValidationError as exc:
        raise ConfigError(validation_lines(exc)) from None


def load_config(path: str | os.PathLike, env: Mapping[str, str] | None = None) -> Settings:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read ({exc.strerror})"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not a UTF-8 text file (byte {exc.start} is not UTF-8)"]) from None
    if "\x00" in text:
        raise ConfigError([f"{path}: not a text file (it holds NUL bytes)"])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError([f"{path} ({where}): not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    return parse_config(data, path.resolve().parent, env)
