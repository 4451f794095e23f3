#!/usr/bin/env python3
"""OCR quality and speed on SQuAD paragraphs rendered as page images.

usage: ocr.py SQUAD_DEV_JSON N [--out DIR] [--tesseract PROGRAM]

Takes the first N paragraphs of the tuning articles (0-23) of SQuAD v1.1
dev, renders each as a page image with ImageMagick (DejaVu Serif 11 pt,
word-wrapped at 6.5 inches), in two conditions:
  - clean: 300 DPI, 8-bit grey;
  - noisy: 200 DPI, rotated 0.8 degrees, blurred (0.6 px), Gaussian noise;
reads each with Tesseract as verbatim runs it (`tesseract stdin stdout -l
eng tsv`, one thread per child, two children at once), lays the words out
as verbatim does (a space between words), and prints one JSON line per
condition: pages, character error rate (edit distance over the reference
length, whitespace collapsed on both sides), and pages per second of OCR on
this machine (rendering not counted).
Needs the Debian packages imagemagick, fonts-dejavu-core and tesseract-ocr.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import tempfile
import time


def paragraphs(path, n):
    data = json.load(open(path))["data"]
    out = []
    for article in data[:24]:
        for p in article["paragraphs"]:
            out.append(p["context"])
            if len(out) == n:
                return out
    return out


def render(text, path, noisy):
    dpi = 200 if noisy else 300
    width = int(6.5 * dpi)
    cmd = ["convert", "-density", str(dpi), "-size", f"{width}x", "-font", "DejaVu-Serif",
           "-pointsize", "11", f"caption:{text}", "-bordercolor", "white", "-border", "60"]
    if noisy:
        cmd += ["-background", "white", "-rotate", "0.8", "-blur", "0x0.6", "-attenuate", "1.5", "+noise", "Gaussian"]
    cmd += ["-depth", "8", "-alpha", "off", "-type", "Grayscale", path]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)


def ocr(program, path):
    with open(path, "rb") as f:
        out = subprocess.run([program, "stdin", "stdout", "-l", "eng", "tsv"], stdin=f,
                             capture_output=True, env={"OMP_THREAD_LIMIT": "1"}, check=True).stdout
    words = []
    for row in out.decode("utf-8", "replace").splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) >= 12 and cols[0] == "5" and cols[11].strip():
            words.append(cols[11].strip())
    return " ".join(words)


def distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("squad")
    ap.add_argument("n", type=int)
    ap.add_argument("--out", default=None)
    ap.add_argument("--tesseract", default="tesseract")
    args = ap.parse_args()
    texts = [" ".join(t.split()) for t in paragraphs(args.squad, args.n)]
    work = args.out or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    for noisy in (False, True):
        name = "noisy" if noisy else "clean"
        paths = []
        for i, t in enumerate(texts):
            p = os.path.join(work, f"{name}-{i:04d}.png")
            render(t, p, noisy)
            paths.append(p)
        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            read = list(pool.map(lambda p: ocr(args.tesseract, p), paths))
        seconds = time.perf_counter() - start
        errors = sum(distance(" ".join(r.split()), t) for r, t in zip(read, texts))
        chars = sum(len(t) for t in texts)
        print(json.dumps({"condition": name, "pages": len(texts), "cer": round(errors / chars, 4),
                          "pages_per_s": round(len(texts) / seconds, 2)}))


if __name__ == "__main__":
    main()
