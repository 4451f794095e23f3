"""Hostile clients for the soak: idle connections, slowloris senders and
readers that stop reading.

Usage: python3 benches/slowclients.py HOST:PORT SECONDS [IDLE] [SLOW] [STALLED]

Keeps IDLE connections open that send nothing, SLOW connections that send
one header byte every few seconds, and STALLED connections that ask for
exports (many, pipelined, with a receive buffer as small as the kernel
allows) and never read the answers, reopening any the server closes, for
SECONDS. Prints one JSON line: how many connections were opened and how
many of each kind the server closed (closing them is the defence working).
"""
import json
import socket
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
seconds = float(sys.argv[2])
idle_n = int(sys.argv[3]) if len(sys.argv) > 3 else 300
slow_n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
stalled_n = int(sys.argv[5]) if len(sys.argv) > 5 else 0


def connect(small=False):
    s = socket.socket()
    if small:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.setblocking(False)
    try:
        s.connect((host, int(port)))
    except BlockingIOError:
        pass
    return s


opened = 0
closed = {"idle": 0, "slow": 0, "stalled": 0}
conns = []  # (socket, kind, bytes sent)
kinds = ["idle"] * idle_n + ["slow"] * slow_n + ["stalled"] * stalled_n
for k in kinds:
    conns.append([connect(k == "stalled"), k, 0])
    opened += 1
header = b"GET /v1/search?q=robots HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
# Exports of the commonest word, pipelined: far more than any socket buffer.
exports = b"GET /v1/search/export?q=the HTTP/1.1\r\nHost: x\r\n\r\n" * 200
end = time.time() + seconds
while time.time() < end:
    for c in conns:
        s, kind, sent = c
        try:
            if kind == "slow":
                n = s.send(header[sent:sent + 1])
                c[2] += n
            elif kind == "stalled":
                if sent < len(exports):
                    c[2] += s.send(exports[sent:])
                else:
                    # Never reads (reading would let the server go on):
                    # a blank line between requests, which HTTP allows,
                    # fails once the server has closed the connection.
                    s.send(b"\r\n")
            else:
                # An idle connection: a read of zero bytes means the server closed it.
                if s.recv(1) == b"":
                    raise ConnectionError
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            s.close()
            closed[kind] += 1
            c[0], c[2] = connect(kind == "stalled"), 0
            opened += 1
    time.sleep(2)
print(json.dumps({"opened": opened, "closed_by_server": closed, "held": len(kinds)}))
