#!/usr/bin/env python3
"""Latency of POST /v1/documents, one small document at a time.
usage: write_latency.py http://127.0.0.1:7310 TOKEN [N]  (a server with writes on)
"""
import json, sys, time, urllib.request
base, token = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300
ms = []
for i in range(n):
    body = json.dumps({"id": f"w{i}", "text": f"# Note {i}\n\nMarker zqw{i} about robots and chips.\n\nA second paragraph {i}."}).encode()
    req = urllib.request.Request(base + "/v1/documents", data=body, method="POST",
        headers={"Authorization": "Bearer " + token, "content-type": "application/json"})
    t = time.perf_counter(); urllib.request.urlopen(req).read(); ms.append((time.perf_counter() - t) * 1e3)
ms.sort()
p = lambda q: ms[min(len(ms) - 1, int(round((len(ms) - 1) * q)))]
print(f"{n} sequential writes: p50 {p(0.5):.1f} ms, p90 {p(0.9):.1f} ms, p99 {p(0.99):.1f} ms, max {ms[-1]:.1f} ms")
