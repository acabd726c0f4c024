# A DNS responder for tests, on 127.0.0.1 (UDP and TCP on one port): hand-built answers by
# query name, no DNS library. Prints "port N" first, then "udp NAME" / "tcp NAME" per query.
import socket
import struct
import sys
import threading


def name(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.split(".") if p) + b"\0"


def rr(owner, rtype, data, ttl=60):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(data)) + data


Q = b"\xc0\x0c"  # a pointer to the question's name
lock = threading.Lock()


def log(line):
    with lock:
        print(line, flush=True)


def answer(q, tcp):
    qid = struct.unpack(">H", q[:2])[0]
    i = 12
    labels = []
    while q[i]:
        labels.append(q[i + 1 : i + 1 + q[i]].decode())
        i += 1 + q[i]
    qname = ".".join(labels).lower()
    qtype = struct.unpack(">H", q[i + 1 : i + 3])[0]
    question = q[12 : i + 5]
    log(("tcp " if tcp else "udp ") + qname)
    rcode, tc, ans = 0, 0, []
    if qname == "silent.test":
        return None
    if qname == "nx.test":
        rcode = 3
    elif qname == "servfail.test":
        rcode = 2
    elif qname == "ok.test" and qtype == 1:
        ans = [rr(Q, 1, bytes([127, 0, 0, 10])), rr(Q, 1, bytes([127, 0, 0, 11]))]
    elif qname == "ok.test" and qtype == 28:
        ans = [rr(Q, 28, socket.inet_pton(socket.AF_INET6, "::1"))]
    elif qname == "alias.test":
        ans = [rr(Q, 5, name("ok.test")), rr(name("ok.test"), 1, bytes([127, 0, 0, 10]))]
    elif qname == "wrong.test":
        ans = [rr(Q, 1, bytes([127, 0, 0, 99]))]
    elif qname == "mx.test":
        ans = [rr(Q, 15, struct.pack(">H", 10) + name("mail.test"))]
    elif qname == "txt.test":
        ans = [rr(Q, 16, b"\x06v=spf1\x05 -all")]
    elif qname == "srv.test":
        ans = [rr(Q, 33, struct.pack(">HHH", 1, 5, 8080) + name("svc.test"))]
    elif qname == "soa.test":
        soa = name("ns.test") + name("admin.test")
        ans = [rr(Q, 6, soa + struct.pack(">IIIII", 2026120501, 3600, 600, 86400, 60))]
    elif qname == "1.0.0.127.in-addr.arpa" and qtype == 12:
        ans = [rr(Q, 12, name("localhost.test"))]
    elif qname == "big.test":
        if tcp:
            ans = [rr(Q, 1, bytes([127, 0, 0, 42]))]
        else:
            tc = 0x0200
    flags = 0x8180 | tc | rcode
    return struct.pack(">HHHHHH", qid, flags, 1, len(ans), 0, 0) + question + b"".join(ans)


def serve_tcp(conn):
    with conn:
        while True:
            head = conn.recv(2)
            if len(head) < 2:
                return
            n = struct.unpack(">H", head)[0]
            q = b""
            while len(q) < n:
                part = conn.recv(n - len(q))
                if not part:
                    return
                q += part
            a = answer(q, True)
            if a is not None:
                conn.sendall(struct.pack(">H", len(a)) + a)


def main():
    for _ in range(100):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", port))
            break
        except OSError:
            udp.close()
            tcp.close()
    else:
        sys.exit("no port free for both UDP and TCP")
    tcp.listen(16)

    def accept():
        while True:
            conn, _ = tcp.accept()
            threading.Thread(target=serve_tcp, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    log("port %d" % port)
    while True:
        q, peer = udp.recvfrom(4096)
        a = answer(q, False)
        if a is not None:
            udp.sendto(a, peer)


main()
