"""A plain TCP forwarder for the multi-machine tests and the chaos bench: workers in their own
network namespaces reach PostgreSQL, Redis and the RTSP test cameras through it, across a veth
link that a test can cut. Not part of the product.

    python -m bench.forward LISTEN_HOST:PORT=TARGET_HOST:PORT [...]
"""

from __future__ import annotations

import asyncio
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def _handler(host: str, port: int):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(host, port), 5)
        except (TimeoutError, OSError):
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    return handle


async def main(specs: list[str]) -> None:
    servers = []
    for spec in specs:
        listen, target = spec.split("=")
        lh, lp = listen.rsplit(":", 1)
        th, tp = target.rsplit(":", 1)
        servers.append(await asyncio.start_server(_handler(th, int(tp)), lh, int(lp), reuse_address=True))
    print("READY", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
