"""A loopback HTTP receiver for notifier tests.

Usage: http_receiver.py PORT_FILE RECORD_FILE [CERT KEY]

With CERT and KEY (PEM files) it speaks HTTPS.

Binds 127.0.0.1:0, writes its port to PORT_FILE, appends one JSON line per request
(method, path, headers, body) to RECORD_FILE before answering. The first path segment
chooses the answer: ok (200, the default), bad (400), 429 (Retry-After: 7), 429date
(Retry-After as an HTTP date 60 s ahead), 500, 503, hang (never answers), close (closes
without an answer), echo (400 with the path as body), big (200 with a 100 kB body).
"""
import email.utils
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT_FILE, RECORD_FILE = sys.argv[1], sys.argv[2]
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        record = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
        }
        with lock, open(RECORD_FILE, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        mode = self.path.strip("/").split("/")[0].split("?")[0]
        if mode == "hang":
            time.sleep(120)
            return
        if mode == "close":
            self.close_connection = True
            return
        status, headers, text = 200, {}, b'{"ok":true}'
        if mode == "bad":
            status, text = 400, b"invalid_payload: missing text"
        elif mode == "429":
            status, headers, text = 429, {"Retry-After": "7"}, b"slow down"
        elif mode == "429date":
            when = email.utils.formatdate(time.time() + 60, usegmt=True)
            status, headers, text = 429, {"Retry-After": when}, b"slow down"
        elif mode in ("500", "503"):
            status, text = int(mode), b"server error"
        elif mode == "echo":
            status, text = 400, self.path.encode()
        elif mode == "big":
            text = b"x" * 100000
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
if len(sys.argv) > 4:
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    server.socket = context.wrap_socket(server.socket, server_side=True)
tmp = PORT_FILE + ".tmp"
with open(tmp, "w") as f:
    f.write(str(server.server_address[1]))
os.rename(tmp, PORT_FILE)
server.serve_forever()
