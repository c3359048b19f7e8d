import ipaddress
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from .base import Section


class ServerConfig(Section):
    host: str = Field("127.0.0.1", title="Host", description="Address the console and API listen on.")
    port: int = Field(8000, ge=1, le=65535, title="Port", description="TCP port of the console and API.")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        max_length=64,
        title="Trusted proxies",
        description="Addresses or networks (10.0.0.0/8) of reverse proxies in front of urbanwatch: only "
        "their X-Forwarded-For is believed, for the client address that sign-in limits and the audit log "
        "use. Default: none (any client could otherwise choose its recorded address).",
    )

    metrics_networks: list[str] = Field(
        default_factory=lambda: ["127.0.0.1/32", "::1/128"],
        max_length=64,
        title="Metrics networks",
        description="Addresses or networks that may read GET /metrics without signing in (a Prometheus "
        "server); anyone else needs an admin's bearer token.",
    )

    public_url: str | None = Field(
        None,
        max_length=500,
        title="Public URL",
        description="The address staff reach the console at (https://giamsat.phuong.example/), used in links "
        "that leave the system, such as the QR code on an evidence sheet. Default: the address the request "
        "came to, which behind a proxy may be an internal one.",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"'{v}' is not an http(s) address such as https://giamsat.example.vn/")
        return v.strip().rstrip("/")

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"'{net}' is not an IP address or network") from None
        return v
