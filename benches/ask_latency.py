#!/usr/bin/env python3
"""Latency of POST /v1/ask with distinct questions, one at a time.

wrk repeats one request, which the server's recent-query cache answers
without running the model; this asks N different questions (SQuAD dev
questions, which the seed corpus mostly cannot answer: the full path, up to
abstention, runs every time) and reports p50, p90, p99 and max in ms.

usage: ask_latency.py http://127.0.0.1:7310 ../shared/bench/squad/dev-v1.1.json [N]
"""
import json
import sys
import time
import urllib.request


def main() -> None:
    base, squad = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    data = json.load(open(squad))["data"]
    questions, seen = [], set()
    for art in data:
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                q = qa["question"].strip()
                if q not in seen:
                    seen.add(q)
                    questions.append(q)
    questions = questions[:n]
    ms = []
    for q in questions:
        body = json.dumps({"question": q, "limit": 3}).encode()
        req = urllib.request.Request(
            base + "/v1/ask", data=body, headers={"content-type": "application/json"}
        )
        t = time.perf_counter()
        with urllib.request.urlopen(req) as r:
            r.read()
        ms.append((time.perf_counter() - t) * 1e3)
    ms.sort()
    pct = lambda p: ms[min(len(ms) - 1, round((len(ms) - 1) * p))]
    print(
        f"/v1/ask, {len(ms)} distinct questions, one at a time: "
        f"p50 {pct(0.5):.1f} ms, p90 {pct(0.9):.1f} ms, p99 {pct(0.99):.1f} ms, max {ms[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
