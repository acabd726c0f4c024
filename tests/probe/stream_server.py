"""Loopback servers for the stream probe tests: TLS, STARTTLS dialogues, banners, PING/PONG.

usage: stream_server.py MODE [CERT KEY [CA]]
Binds 127.0.0.1 port 0, prints "PORT <n>" (and "END clean|reset|error" after each TLS
session: how the client closed it) and serves every connection on its own thread
until killed. Modes:
  tls               TLS at once (CERT, KEY), then reads until EOF; tls12: TLS 1.2 at most
  tls12-client-auth TLS 1.2 at most, requires a client certificate from CA
  smtp, smtp-refuse SMTP greeting, EHLO, STARTTLS answered 220 (or 454), then TLS
  imap, pop3, ftp   the protocol's STARTTLS (a1 STARTTLS, STLS, AUTH TLS), then TLS
  postgres          answers an SSLRequest with 'S', then TLS; postgres-refuse answers 'N'
  banner            sends "SSH-2.0-pwtest" with no newline, waits for EOF
  redis             answers "+PONG\\r\\n" to each PING line, "-ERR unknown\\r\\n" else
  silent            says nothing, waits for EOF
  flood             sends 5000 bytes of "A", waits for EOF
  closer            sends "hello" and closes
  aiosmtpd          Debian's aiosmtpd with STARTTLS (CERT, KEY)
"""
import socket
import ssl
import sys
import threading

# A mode ending in "@6" (e.g. "tls@6") serves on ::1 instead.
MODE, _, FAMILY = sys.argv[1].partition("@")
CTX = None
if len(sys.argv) >= 4:
    CTX = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    CTX.load_cert_chain(sys.argv[2], sys.argv[3])
    # A TCP FIN without close_notify is an error (Python ignores it by default).
    CTX.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    if MODE in ("tls12", "tls12-client-auth"):
        CTX.maximum_version = ssl.TLSVersion.TLSv1_2
    if MODE == "tls12-client-auth":
        CTX.verify_mode = ssl.CERT_REQUIRED
        CTX.load_verify_locations(sys.argv[4])


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def drain(conn):
    """Reads until EOF; how the peer ended: "clean", "reset" or "error"."""
    try:
        while conn.recv(4096):
            pass
    except ConnectionResetError:
        return "reset"
    except (OSError, ssl.SSLError):
        return "error"
    return "clean"


def tls(conn):
    try:
        s = CTX.wrap_socket(conn, server_side=True)
    except (OSError, ssl.SSLError):
        return
    print("END", drain(s), flush=True)
    try:
        s.close()
    except OSError:
        pass


def serve(conn):
    try:
        if MODE in ("tls", "tls12", "tls12-client-auth"):
            tls(conn)
            return
        if MODE in ("smtp", "smtp-refuse"):
            conn.sendall(b"220-pwtest ESMTP\r\n220 pwtest ready\r\n")
            read_line(conn)  # EHLO
            conn.sendall(b"250-pwtest\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
            read_line(conn)  # STARTTLS
            if MODE == "smtp-refuse":
                conn.sendall(b"454 4.7.0 TLS not available\r\n")
                drain(conn)
                return
            conn.sendall(b"220 2.0.0 go ahead\r\n")
            tls(conn)
            return
        if MODE == "imap":
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] pwtest\r\n")
            read_line(conn)
            conn.sendall(b"a1 OK Begin TLS negotiation now\r\n")
            tls(conn)
            return
        if MODE == "pop3":
            conn.sendall(b"+OK pwtest POP3\r\n")
            read_line(conn)
            conn.sendall(b"+OK begin TLS\r\n")
            tls(conn)
            return
        if MODE == "ftp":
            conn.sendall(b"220 pwtest FTP\r\n")
            read_line(conn)
            conn.sendall(b"234 AUTH TLS ok\r\n")
            tls(conn)
            return
        if MODE in ("postgres", "postgres-refuse"):
            req = b""
            while len(req) < 8:
                chunk = conn.recv(8 - len(req))
                if not chunk:
                    return
                req += chunk
            if req != b"\x00\x00\x00\x08\x04\xd2\x16\x2f":
                return
            if MODE == "postgres-refuse":
                conn.sendall(b"N")
                drain(conn)
                return
            conn.sendall(b"S")
            tls(conn)
            return
        if MODE == "banner":
            conn.sendall(b"SSH-2.0-pwtest")
            drain(conn)
            return
        if MODE == "redis":
            while True:
                line = read_line(conn)
                if not line:
                    return
                conn.sendall(b"+PONG\r\n" if line.strip() == b"PING" else b"-ERR unknown\r\n")
        if MODE == "silent":
            drain(conn)
            return
        if MODE == "flood":
            conn.sendall(b"A" * 5000)
            drain(conn)
            return
        if MODE == "closer":
            conn.sendall(b"hello")
            return
    except OSError:
        pass
    finally:
        conn.close()


def aiosmtpd_main():
    """Debian's aiosmtpd, a real SMTP server, with STARTTLS."""
    import asyncio

    from aiosmtpd.handlers import Sink
    from aiosmtpd.smtp import SMTP

    async def run():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(Sink(), tls_context=CTX, require_starttls=False), "127.0.0.1", 0)
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(run())


def main():
    if MODE == "aiosmtpd":
        aiosmtpd_main()
        return
    v6 = FAMILY == "6"
    srv = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::1" if v6 else "127.0.0.1", 0))
    srv.listen(64)
    print("PORT", srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
