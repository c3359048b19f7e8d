"""The city's administrative areas as they are since 1 July 2025: the city, its wards (phường),
communes (xã) and special zone (đặc khu), and optional groups of them (a team's wards, a former
district for comparison with old reports). Districts no longer exist."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import Section

BUILTIN_AREAS = Path(__file__).parent / "areas" / "ho-chi-minh-city.yaml"
UnitKind = Literal["ward", "commune", "special_zone"]
_LISTS: dict[str, UnitKind] = {"wards": "ward", "communes": "commune", "special_zones": "special_zone"}
MAX_NAME = 100


def _name(v: str) -> str:
    v = " ".join(unicodedata.normalize("NFC", v).split())
    if not v or len(v) > MAX_NAME:
        raise ValueError(f"a name of 1-{MAX_NAME} characters")
    return v


class GroupConfig(Section):
    name: str = Field(..., title="Name", description="E.g. a team ('Đội 1') or a former district ('Quận 1 (cũ)').")
    members: list[str] = Field(..., min_length=1, title="Members", description="Wards, communes or special zones.")

    @field_validator("name")
    @classmethod
    def _clean_name(cls, v: str) -> str:
        return _name(v)

    @field_validator("members")
    @classmethod
    def _clean_members(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(_name(m) for m in v))


class AreasConfig(Section):
    file: Path | None = Field(
        BUILTIN_AREAS,
        title="Areas file",
        description="YAML with `city`, `wards`, `communes`, `special_zones` and `groups`; the lists below add to "
        "it. Default: Ho Chi Minh City's 168 units as of 1 July 2025. `null`: only the lists below.",
    )
    city: str = Field("Thành phố Hồ Chí Minh", title="City", description="Named in evidence and digests.")
    wards: list[str] = Field(default_factory=list, title="Wards", description="Phường.")
    communes: list[str] = Field(default_factory=list, title="Communes", description="Xã.")
    special_zones: list[str] = Field(default_factory=list, title="Special zones", description="Đặc khu.")
    groups: list[GroupConfig] = Field(default_factory=list, title="Groups")

    @model_validator(mode="before")
    @classmethod
    def _include_file(cls, data: Any, info: ValidationInfo) -> Any:
        """The file's lists come first, the inline lists add to them; an inline city wins."""
        if not isinstance(data, dict):
            return data
        path = data.get("file", BUILTIN_AREAS)
        if path is None:
            return data
        path = Path(path).expanduser()
        if not path.is_absolute():
            path = Path((info.context or {}).get("base_dir", ".")) / path
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ValueError(f"file: cannot read {path} ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            raise ValueError(f"file: {path} is not valid YAML: {exc}") from None
        allowed = {"city", *_LISTS, "groups"}
        if not isinstance(loaded, dict) or set(loaded) - allowed:
            extra = sorted(set(loaded) - allowed) if isinstance(loaded, dict) else []
            raise ValueError(f"file: {path} must be a mapping of {', '.join(sorted(allowed))}"
                             + (f" (unknown: {', '.join(map(str, extra))})" if extra else ""))
        # read once: the lists now hold the file's content, and a worker process that validates
        # this section again (from its dump) must not add the file a second time
        merged = dict(data, file=None)
        for key in (*_LISTS, "groups"):
            file_part, inline = loaded.get(key) or [], data.get(key) or []
            if not isinstance(file_part, list) or not isinstance(inline, list):
                raise ValueError(f"{key}: must be a list")
            merged[key] = [*file_part, *inline]
        if "city" not in data and loaded.get("city"):
            merged["city"] = loaded["city"]
        return merged

    @field_validator("city")
    @classmethod
    def _city(cls, v: str) -> str:
        return _name(v)

    @field_validator("wards", "communes", "special_zones")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return [_name(n) for n in v]

    @model_validator(mode="after")
    def _consistent(self) -> AreasConfig:
        seen: dict[str, str] = {}
        errors = []
        for key, kind in _LISTS.items():
            for n in getattr(self, key):
                if n in seen:
                    errors.append(f"'{n}' is listed twice ({seen[n]} and {kind})")
                seen[n] = kind
        for g in self.groups:
            if g.name in seen:
                errors.append(f"group '{g.name}': the name is taken by a {seen[g.name]}")
            unknown = [m for m in g.members if seen.get(m) not in _LISTS.values()]
            if unknown:
                errors.append(f"group '{g.name}': {', '.join(unknown)} is not a ward, commune or special zone")
            seen[g.name] = "group"
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def units(self) -> list[tuple[str, UnitKind]]:
        return [(n, kind) for key, kind in _LISTS.items() for n in getattr(self, key)]

    def unit_kind(self, name: str) -> UnitKind | None:
        return next((k for n, k in self.units() if n == name), None)

    def suggest(self, name: str) -> list[str]:
        """Units whose name reads the same without diacritics and case: what was probably meant."""
        key = _bare(name)
        return [n for n, _ in self.units() if _bare(n) == key]


def _bare(text: str) -> str:
    """Lower case, no diacritics (the search rules themselves are models.vietnamese's)."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D").lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
