"""Configuration variants: dicts of dotted Settings paths -> values, e.g. {"detector.confidence": 0.2}.

A variant is applied to the dumped settings and the whole tree validated again, as a config file
would be: a bad value or a misspelt path is a ConfigError, not a setting silently ignored."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..config import ConfigError, Settings, parse_config

Variant = Mapping[str, object]


def apply_variant(base: Settings, variant: Variant) -> Settings:
    data = base.model_dump(mode="json")
    for path, value in variant.items():
        node = data
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node:
            raise ConfigError([f"{path}: no such setting"])
        node[leaf] = value
    return parse_config(data, Path("."), env={})  # paths in the dump are already absolute


def parse_vary(specs: list[str]) -> list[dict[str, object]]:
    """`PATH=v1,v2,...` options to their product: ["a=1,2", "b=x"] -> [{a: 1, b: x}, {a: 2, b: x}].
    Values are read as YAML scalars (0.2 a number, true a bool, yolo.pt a string)."""
    axes = []
    for spec in specs:
        path, sep, values = spec.partition("=")
        if not sep or not path.strip() or not values.strip():
            raise ValueError(f"--vary {spec!r}: expected PATH=v1,v2,...")
        axes.append([(path.strip(), yaml.safe_load(v.strip())) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def label(variant: Variant) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in variant.items()) or "default"


def is_default(base: Settings, variant: Variant) -> bool:
    return apply_variant(base, variant).model_dump() == base.model_dump()
