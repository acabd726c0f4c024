#!/usr/bin/python3
"""A loopback SMTP server for portwatch's tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1, port chosen by the kernel, written to OUT/port once listening. Each
accepted message is saved as OUT/msg-N.eml (the bytes received, CRLF as sent) and described
in OUT/msg-N.txt ("KEY HEX" lines: envelope, TLS, AUTH, and the subject and body decoded by
Python's own email parser), written last so that its presence means the message is complete.
Exits when its parent goes away, or after --lifetime seconds.
"""
import argparse
import asyncio
import os
import ssl
import sys
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP, AuthResult


def hexed(text):
    return (text if isinstance(text, bytes) else str(text).encode("utf-8", "surrogateescape")).hex()


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.args.reject_rcpt:
            return "550 5.1.1 <%s>: no such mailbox" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_reply:
            return self.args.data_reply
        self.count += 1
        base = os.path.join(self.args.out, "msg-%d" % self.count)
        raw = envelope.original_content
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        msg = message_from_bytes(raw, policy=policy.default)
        lines = [
            ("mail_from", envelope.mail_from),
            *[("rcpt_to", r) for r in envelope.rcpt_tos],
            ("tls", "yes" if server.transport.get_extra_info("ssl_object") is not None else "no"),
            ("auth_mechanism", getattr(session, "pw_mechanism", "")),
            ("auth_login", getattr(session, "pw_login", "")),
            ("subject", msg["subject"] or ""),
            ("body", msg.get_content() if not msg.is_multipart() else ""),
        ]
        tmp = base + ".txt.tmp"
        with open(tmp, "w") as f:
            for key, value in lines:
                f.write("%s %s\n" % (key, hexed(value)))
        os.rename(tmp, base + ".txt")
        return "250 2.0.0 OK queued"


def authenticator(args):
    def check(server, session, envelope, mechanism, auth_data):
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if login == args.user and password == args.password:
            session.pw_mechanism = mechanism
            session.pw_login = login
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    return check


def tls_context(args):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    return ctx


async def watch_parent(parent, lifetime):
    loop = asyncio.get_running_loop()
    end = loop.time() + lifetime
    while os.getppid() == parent and loop.time() < end:
        await asyncio.sleep(0.2)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--mode", choices=["plain", "starttls", "smtps"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--exclude-auth", action="append", default=[])
    p.add_argument("--reject-rcpt", action="append", default=[])
    p.add_argument("--data-reply", default="")
    p.add_argument("--lifetime", type=float, default=300)
    args = p.parse_args()
    parent = os.getppid()

    def factory():
        kwargs = dict(hostname="pw-test-smtp", ident="portwatch test SMTP")
        if args.mode == "starttls":
            kwargs.update(tls_context=tls_context(args), require_starttls=True)
        if args.user:
            kwargs.update(
                authenticator=authenticator(args),
                auth_required=True,
                auth_require_tls=args.mode != "plain",
                auth_exclude_mechanism=args.exclude_auth,
            )
        return SMTP(handler, **kwargs)

    handler = Handler(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        factory, host="127.0.0.1", port=0,
        ssl=tls_context(args) if args.mode == "smtps" else None)
    port = server.sockets[0].getsockname()[1]
    tmp = os.path.join(args.out, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(port))
    os.rename(tmp, os.path.join(args.out, "port"))
    print("listening on 127.0.0.1:%d mode %s" % (port, args.mode), flush=True)
    await watch_parent(parent, args.lifetime)
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
