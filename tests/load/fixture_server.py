"""A small HTTP/1.1 server with deterministic routes, for the load generator's tests.

Run as ``python fixture_server.py``: it binds 127.0.0.1 on a free port, prints the
port on stdout and serves until killed.  Every request whose query has ``key=K``
is counted under ``K``; ``GET /count?of=K`` returns that count.

Routes: ``/fast``, ``/delay?ms=N``, ``/stall?after=N&ms=M&key=K`` (the N-th request
of key K blocks the whole server for M ms, once), ``/chunked``, ``/close`` (answers
with ``Connection: close``), ``/reset`` (resets the connection without answering),
``/status?code=N``, ``/count?of=K``, ``/stream?ms=N`` (a chunked answer whose first chunk
goes out at once and the rest N ms later, as a streaming service answers).
"""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

counts: Counter[str] = Counter()
stalled: set[str] = set()


def reply(status: int, body: bytes, *, close: bool = False) -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            _method, target, _ = lines[0].split(" ")
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            if length:
                await reader.readexactly(length)
            url = urlsplit(target)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if "key" in query:
                counts[query["key"]] += 1
            path = url.path
            if path == "/delay":
                await asyncio.sleep(int(query.get("ms", "10")) / 1000)
                writer.write(reply(200, b"slow"))
            elif path == "/stall":
                key = query.get("key", "")
                if key not in stalled and counts[key] >= int(query.get("after", "1")):
                    stalled.add(key)
                    time.sleep(int(query.get("ms", "300")) / 1000)  # the whole server stalls
                writer.write(reply(200, b"ok"))
            elif path == "/chunked":
                writer.write(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n"
                )
            elif path == "/stream":
                writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
                await writer.drain()
                await asyncio.sleep(int(query.get("ms", "20")) / 1000)
                writer.write(b"4\r\nlast\r\n0\r\n\r\n")
            elif path == "/close":
                writer.write(reply(200, b"bye", close=True))
                await writer.drain()
                writer.close()
                return
            elif path == "/reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            elif path == "/status":
                writer.write(reply(int(query.get("code", "500")), b"status"))
            elif path == "/count":
                writer.write(reply(200, str(counts[query.get("of", "")]).encode()))
            else:
                writer.write(reply(200, b"ok"))
            await writer.drain()
    except ConnectionError:
        return
    finally:
        writer.close()


async def main() -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
