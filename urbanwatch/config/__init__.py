"""Configuration: one pydantic model (`Settings`) for config.yaml, one file per concern."""

from .camera import CameraConfig, DetectConfig, ZoneConfig
from .detector import DetectorConfig
from .ingest import IngestConfig
from .loader import ENV_OVERRIDES, ConfigError, load_config, parse_config
from .settings import Settings

__all__ = [
    "ENV_OVERRIDES",
    "CameraConfig",
    "ConfigError",
    "DetectConfig",
    "DetectorConfig",
    "IngestConfig",
    "Settings",
    "ZoneConfig",
    "load_config",
    "parse_config",
]
