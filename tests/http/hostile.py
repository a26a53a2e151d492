#!/usr/bin/python3
"""Raw-socket clients for tests/http/test_hostile.sh (loopback only).

  hostile.py PORT body MODE [BYTES]   MODE cl | chunked | nocl: a POST with
      a body of BYTES (10 MiB) sent as fast as the server takes it, the
      answer read meanwhile.  Prints "STATUS SENT": the status line's code
      (0: none) and the body bytes the client got into the socket before
      the answer or the close.
  hostile.py PORT slowloris GAP MAXS  sends a request's headers one byte
      every GAP seconds, never finishing them; prints "closed SECONDS" when
      the server closes the connection, "open SECONDS" after MAXS seconds.
  hostile.py PORT slowbody GAP MAXS   a POST announcing 1000 bytes, sending
      one byte every GAP seconds; prints like slowloris.
  hostile.py PORT conns N HOLD        opens N sockets (not closing them),
      each sending a request, for at most HOLD seconds, then prints
      "opened A answered B refused C waiting D" (answered: a status line
      came back; refused: connect failed or reset/closed with no answer;
      waiting: neither within HOLD seconds, queued by the kernel).
"""
import select
import socket
import sys
import time

HOST = "127.0.0.1"


def status_of(buf):
    if buf.startswith(b"HTTP/1."):
        try:
            return int(buf.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 0
    return 0


def body(port, mode, total):
    s = socket.create_connection((HOST, port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    head = b"POST /get_report HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    if mode == "cl":
        head += b"Content-Length: %d\r\n\r\n" % total
    elif mode == "chunked":
        head += b"Transfer-Encoding: chunked\r\n\r\n"
    else:  # no length at all: HTTP/1.0, body until close
        head = head.replace(b"HTTP/1.1", b"HTTP/1.0") + b"\r\n"
    s.sendall(head)
    s.setblocking(False)
    piece = b"{" + b" " * 16383
    sent, resp, deadline = 0, b"", time.time() + 60
    while time.time() < deadline:
        want_w = sent < total
        r, w, _ = select.select([s], [s] if want_w else [], [], 5)
        if r:
            try:
                d = s.recv(65536)
            except OSError:
                break
            if not d:
                break
            resp += d
            if b"\r\n\r\n" in resp:
                break
        if w:
            data = piece if mode != "chunked" else b"4000\r\n" + piece + b"\r\n"
            try:
                n = s.send(data)
            except OSError:
                break
            sent += min(n, len(piece))
        if not r and not w:
            if not want_w and mode == "chunked":
                s.setblocking(True)
                s.sendall(b"0\r\n\r\n")
                s.setblocking(False)
                want_w = False
            else:
                break
    s.close()
    print(status_of(resp), sent)


def slow(port, what, gap, maxs):
    s = socket.create_connection((HOST, port), timeout=10)
    if what == "slowloris":
        data = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    else:
        s.sendall(b"POST /get_report HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
        data = b" " * 1000
    t0 = time.time()
    for b in data:
        if time.time() - t0 > maxs:
            break
        try:
            s.send(bytes([b]))
        except OSError:
            print("closed %.1f" % (time.time() - t0))
            return
        r, _, _ = select.select([s], [], [], gap)
        if r:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            print("closed %.1f" % (time.time() - t0) if not d else
                  "answered %d %.1f" % (status_of(d), time.time() - t0))
            return
    print("open %.1f" % (time.time() - t0))


def conns(port, n, hold):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    socks, refused = {}, 0
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect_ex((HOST, port))
            socks[s.fileno()] = s
        except OSError:
            refused += 1
            s.close()
    opened = len(socks)
    deadline = time.time() + hold
    p = select.poll()
    for fd in socks:
        p.register(fd, select.POLLOUT)
    state = {fd: "connecting" for fd in socks}
    answered = 0
    while time.time() < deadline and any(v != "done" for v in state.values()):
        for fd, ev in p.poll(500):
            s = socks[fd]
            if state[fd] == "connecting":
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    refused += 1
                    state[fd] = "done"
                    p.unregister(fd)
                    continue
                try:
                    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    state[fd] = "sent"
                    p.modify(fd, select.POLLIN)
                except OSError:
                    refused += 1
                    state[fd] = "done"
                    p.unregister(fd)
            elif state[fd] == "sent":
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if d and status_of(d):
                    answered += 1
                else:
                    refused += 1
                state[fd] = "done"
                p.unregister(fd)
    waiting = sum(1 for v in state.values() if v != "done")
    for s in socks.values():
        s.close()
    print("opened %d answered %d refused %d waiting %d" % (opened, answered, refused, waiting))


def main():
    port, what = int(sys.argv[1]), sys.argv[2]
    if what == "body":
        body(port, sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 10 << 20)
    elif what in ("slowloris", "slowbody"):
        slow(port, what, float(sys.argv[3]), float(sys.argv[4]))
    elif what == "conns":
        conns(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit("unknown case " + what)


if __name__ == "__main__":
    main()
