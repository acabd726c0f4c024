#!/usr/bin/env python3
"""The TLS and HTTP side of the benchmark farm: WORKERS processes (SO_REUSEPORT) serving
  - TLS_PORT: a TLS handshake with CERT/KEY, then read until the peer closes;
  - HTTP_PORT: plain HTTP/1.1, "200 OK" with a small body, then close;
  - HTTPS_PORT: the same over TLS.
Usage: tls_http_farm.py CERT KEY TLS_PORT HTTP_PORT HTTPS_PORT WORKERS READY_FILE
Runs until SIGTERM. Listens on 0.0.0.0: run it inside the farm's network namespace."""
import asyncio
import os
import signal
import socket
import ssl
import sys

BODY = b'{"status":"ok"}'
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY)


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("0.0.0.0", port))
    s.listen(65535)
    s.setblocking(False)
    return s


async def tls_only(reader, writer):
    try:
        while await reader.read(4096):
            pass
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()


async def http(reader, writer):
    try:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(RESPONSE)
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ssl.SSLError, OSError):
        pass
    finally:
        writer.close()


async def serve(cert, key, tls_port, http_port, https_port):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    servers = [
        await asyncio.start_server(tls_only, sock=listener(tls_port), ssl=ctx, backlog=65535),
        await asyncio.start_server(http, sock=listener(http_port), backlog=65535),
        await asyncio.start_server(http, sock=listener(https_port), ssl=ctx, backlog=65535),
    ]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


def main():
    cert, key, tls_port, http_port, https_port, workers, ready = sys.argv[1:8]
    children = []
    for _ in range(int(workers)):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(cert, key, int(tls_port), int(http_port), int(https_port)))
            os._exit(0)
        children.append(pid)
    def stop(*_):
        for c in children:
            try:
                os.kill(c, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    with open(ready, "w") as f:
        f.write("ready\n")
    for c in children:
        while True:
            try:
                os.waitpid(c, 0)
                break
            except InterruptedError:
                continue


if __name__ == "__main__":
    main()
