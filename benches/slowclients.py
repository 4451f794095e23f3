"""Hostile clients for the soak: idle connections and slowloris senders.

Usage: python3 benches/slowclients.py HOST:PORT SECONDS [IDLE] [SLOW]

Keeps IDLE connections open that send nothing and SLOW connections that
send one header byte every few seconds, reopening any the server closes,
for SECONDS. Prints one JSON line: how many connections were opened and how
many the server closed (closing them is the defence working).
"""
import json
import socket
import sys
import time

host, port = sys.argv[1].rsplit(":", 1)
seconds = float(sys.argv[2])
idle_n = int(sys.argv[3]) if len(sys.argv) > 3 else 300
slow_n = int(sys.argv[4]) if len(sys.argv) > 4 else 300


def connect():
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((host, int(port)))
    except BlockingIOError:
        pass
    return s


opened = closed = 0
conns = []  # (socket, is_slow, bytes sent)
for i in range(idle_n + slow_n):
    conns.append([connect(), i >= idle_n, 0])
    opened += 1
header = b"GET /v1/search?q=robots HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100000
end = time.time() + seconds
while time.time() < end:
    for c in conns:
        s, slow, sent = c
        try:
            if slow:
                n = s.send(header[sent:sent + 1])
                c[2] += n
            else:
                # An idle connection: a read of zero bytes means the server closed it.
                if s.recv(1) == b"":
                    raise ConnectionError
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            s.close()
            closed += 1
            c[0], c[2] = connect(), 0
            opened += 1
    time.sleep(2)
print(json.dumps({"opened": opened, "closed_by_server": closed, "held": idle_n + slow_n}))
