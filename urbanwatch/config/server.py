import ipaddress

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

    @field_validator("trusted_proxies", "metrics_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"'{net}' is not an IP address or network") from None
        return v
