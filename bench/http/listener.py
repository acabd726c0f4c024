#!/usr/bin/env python3
"""Accepts TCP connections on 0.0.0.0:PORT and closes each at once: every 127.x.y.z:PORT
is an UP target for the bench. Usage: listener.py PORT"""
import selectors
import socket
import sys

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", int(sys.argv[1])))
srv.listen(4096)
srv.setblocking(False)
sel = selectors.DefaultSelector()
sel.register(srv, selectors.EVENT_READ)
while True:
    for _ in sel.select():
        while True:
            try:
                conn, _ = srv.accept()
            except BlockingIOError:
                break
            conn.close()
