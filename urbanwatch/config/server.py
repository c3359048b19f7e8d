from pydantic import Field

from .base import Section


class ServerConfig(Section):
    host: str = Field("127.0.0.1", title="Host", description="Address the console and API listen on.")
    port: int = Field(8000, ge=1, le=65535, title="Port", description="TCP port of the console and API.")
