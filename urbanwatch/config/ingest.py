from pydantic import Field, model_validator

from .base import Section


class IngestConfig(Section):
    """How workers read cameras and decide that one is offline."""

    open_timeout_s: float = Field(10, gt=0, title="Open timeout", description="Seconds to connect to a camera.")
    read_timeout_s: float = Field(
        5, gt=0, title="Read timeout", description="Seconds a read may block before the connection is dropped."
    )
    offline_after_s: float = Field(
        10,
        gt=0,
        title="Offline after",
        description="A camera that delivers no new frame for this long is reported offline.",
    )
    backoff_initial_s: float = Field(1, gt=0, title="First retry", description="Delay before the first reconnect.")
    backoff_max_s: float = Field(30, gt=0, title="Longest retry", description="Cap of the reconnect backoff.")

    @model_validator(mode="after")
    def _ordered(self) -> "IngestConfig":
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must not be below backoff_initial_s")
        return self
