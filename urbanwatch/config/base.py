"""Common base for every configuration section: unknown keys are errors, not silently ignored, and
no number is NaN or infinite (YAML and JSON both spell them: `.nan`, `Infinity`)."""

from pydantic import BaseModel, ConfigDict

MAX_WAIT_S = 7 * 24 * 3600.0  # dwell and unattended times: a week at most (beyond, a typo)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)
