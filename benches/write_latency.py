#!/usr/bin/env python3
"""Latency of document writes, one at a time.

usage: write_latency.py http://127.0.0.1:7310 TOKEN [N] [--json]
       write_latency.py http://127.0.0.1:7310 TOKEN --seconds S --every MS

The first form POSTs N new small documents and prints a summary line (with
--json, the JSON line the second form prints; benches/scale.sh). The
second (benches/soak.sh) PUTs one of 8 soak documents every MS
milliseconds for S seconds, beside the read load, and prints one JSON line
({"writes", "p50_ms", "p99_ms", "max_ms", "errors"}).
"""
import http.client
import json
import sys
import time
import urllib.parse

base, token = sys.argv[1], sys.argv[2]
args = sys.argv[3:]
# One kept-alive connection, as a client that writes often holds one (a new
# connection per write would also time the accept queue, which the soak's
# hostile clients fill on purpose).
host = urllib.parse.urlsplit(base).netloc
conn = None


def send(method, path, doc_id, i):
    global conn
    body = json.dumps({
        "id": doc_id,
        "text": f"# Note {doc_id}\n\nMarker zq{doc_id} version {i} about robots and chips.\n\nA second paragraph {i}.",
    })
    headers = {"Authorization": "Bearer " + token, "content-type": "application/json"}
    t = time.perf_counter()
    try:
        if conn is None:
            conn = http.client.HTTPConnection(host, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        r.read()
        ok = 200 <= r.status < 300
    except (OSError, http.client.HTTPException):
        conn, ok = None, False
    return (time.perf_counter() - t) * 1e3, ok


def pct(ms, q):
    return ms[min(len(ms) - 1, int(round((len(ms) - 1) * q)))] if ms else 0.0


if args and args[0] == "--seconds":
    seconds, every = float(args[1]), float(args[3]) / 1e3
    ms, errors, i = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        d, ok = send("PUT", f"/v1/documents/soak-w{i % 8}", f"soak-w{i % 8}", i)
        ms.append(d)
        errors += 0 if ok else 1
        i += 1
        time.sleep(max(0.0, every - (time.monotonic() - start)))
    ms.sort()
    print(json.dumps({"writes": len(ms), "p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99),
                      "max_ms": ms[-1] if ms else 0.0, "errors": errors}))
else:
    as_json = "--json" in args
    args = [a for a in args if a != "--json"]
    n = int(args[0]) if args else 300
    sent = [send("POST", "/v1/documents", f"w{i}", i) for i in range(n)]
    ms = sorted(d for d, _ in sent)
    if as_json:
        print(json.dumps({"writes": n, "p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99),
                          "max_ms": ms[-1], "errors": sum(1 for _, ok in sent if not ok)}))
        sys.exit()
    print(f"{n} sequential writes: p50 {pct(ms, 0.5):.1f} ms, p90 {pct(ms, 0.9):.1f} ms, "
          f"p99 {pct(ms, 0.99):.1f} ms, max {ms[-1]:.1f} ms")
