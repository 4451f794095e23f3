"""Request bodies drawn from a generated corpus (JSON Lines files), for the
scale runs: questions made from a sentence's rarer words, and quotes that
are a sentence verbatim or with one word changed.

Usage: python3 benches/make_bodies.py CORPUS_DIR OUT_DIR [N]
Writes OUT_DIR/ask.jsonl and OUT_DIR/quote.jsonl, N bodies each, and
OUT_DIR/search.txt, N URL-encoded searches of two to four of a sentence's
words (GET /v1/search, benches/wrk/queries.lua).
"""
import glob
import json
import random
import re
import sys
import urllib.parse

corpus, out = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rng = random.Random(11)
docs = []
with open(sorted(glob.glob(f"{corpus}/*.jsonl"))[0]) as f:
    for i, line in enumerate(f):
        if i >= 5000:
            break
        docs.append(json.loads(line)["text"])
sentences = [s for d in docs for s in re.split(r"(?<=[.!?])\s+", d) if 8 <= len(s.split()) <= 40]
stop = set("the a an of in on and or to for with by is are was were be been that this these those from as at it its".split())
with open(f"{out}/ask.jsonl", "w") as fa, open(f"{out}/quote.jsonl", "w") as fq, open(
    f"{out}/search.txt", "w"
) as fs:
    for _ in range(n):
        s = rng.choice(sentences)
        words = [w.strip(".,;:()[]") for w in s.split()]
        content = [w for w in words if w.lower() not in stop and w]
        q = "What " + " ".join(content[: min(6, len(content))]) + "?"
        fa.write(json.dumps({"question": q, "limit": 3}) + "\n")
        k = rng.randint(2, 4)
        picked = rng.sample(content, min(k, len(content)))
        fs.write(urllib.parse.quote_plus(" ".join(picked)) + "\n")
        quote = s
        if rng.random() < 0.5:
            ws = s.split()
            ws[rng.randrange(len(ws))] = "seventeen"
            quote = " ".join(ws)
        fq.write(json.dumps({"quote": quote}) + "\n")
print(f"{n} questions, {n} quotes and {n} searches in {out}")
