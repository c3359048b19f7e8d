"""Common base for every configuration section: unknown keys are errors, not silently ignored, and
no number is NaN or infinite (YAML and JSON both spell them: `.nan`, `Infinity`)."""

from pydantic import BaseModel, ConfigDict

MAX_WAIT_S = 7 * 24 * 3600.0  # dwell and unattended times: a week at most (beyond, a typo)


def require_unique(names: list[str], what: str) -> None:
    """Refuses repeated names, naming them: "camera ids must be unique: c1, c2"."""
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{what} must be unique: {', '.join(dup)}")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)
