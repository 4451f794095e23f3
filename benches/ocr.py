#!/usr/bin/env python3
"""OCR quality and speed on SQuAD paragraphs rendered as page images.

usage: ocr.py SQUAD_DEV_JSON N [--out DIR] [--tesseract PROGRAM]
       ocr.py SQUAD_DEV_JSON 0 --squad-out FILE
       ocr.py SQUAD_DEV_JSON 0 --japanese benches/ocr_ja.txt


Takes the first N paragraphs of the tuning articles (0-23) of SQuAD v1.1
dev, renders each as a page image with Pillow (DejaVu Serif 11 pt,
wrapped at 88 characters, about 6.5 inches), in two conditions:
  - clean: 300 DPI, 8-bit grey;
  - noisy: 200 DPI, rotated 0.8 degrees, blurred (0.6 px), a quarter of
    Gaussian noise blended in;
reads each with Tesseract as verbatim runs it (`tesseract stdin stdout -l
eng tsv`, one thread per child, two children at once), lays the words out
as verbatim does (a space between words), and prints one JSON line per
condition: pages, character error rate (edit distance over the reference
length, whitespace collapsed on both sides), and pages per second of OCR on
this machine (rendering not counted).
With --squad-out, every paragraph of the file (all 48 articles) is rendered
clean and read, and the file is written again with each context replaced by
its OCR text (questions and answers unchanged), for `verbatim bench squad
--data FILE` beside the original: what OCR costs the answers.
With --japanese, each line of the file (short paragraphs written for this
benchmark) is rendered clean at 300 DPI in IPA Mincho, 36 characters a line,
read with `-l jpn`, and the character error rate is measured with all
whitespace removed (Japanese has none; Tesseract puts spaces between
characters). Needs the Debian package fonts-ipafont-mincho, and
tesseract-ocr-jpn.
Needs Pillow (pip install pillow), and the Debian packages fonts-dejavu-core
and tesseract-ocr.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import tempfile
import textwrap
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


FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def render(text, path, noisy, font_path=None, width_chars=88):
    """A page of `text` in 11 pt DejaVu Serif, 88 characters a line (about
    6.5 inches), as a scanner saves it: 8-bit grey PNG."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
    import random
    dpi = 200 if noisy else 300
    font = ImageFont.truetype(font_path or FONT, round(11 * dpi / 72))
    lines = textwrap.wrap(text, width_chars)
    step = round(11 * 1.35 * dpi / 72)
    margin = dpi // 2
    width = max(int(font.getlength(line)) for line in lines) + 2 * margin
    img = Image.new("L", (width, step * len(lines) + 2 * margin), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * step), line, font=font, fill=0)
    if noisy:
        rng = random.Random(hash(text) & 0xFFFF)
        img = img.rotate(0.8, resample=Image.BICUBIC, expand=True, fillcolor=255)
        img = img.filter(ImageFilter.GaussianBlur(0.6))
        noise = Image.effect_noise(img.size, 40)
        img = Image.blend(img, noise, 0.25).point(lambda v: max(0, min(255, v + rng.randint(-3, 3))))
    img.save(path, dpi=(dpi, dpi))


def ocr(program, path, languages="eng"):
    with open(path, "rb") as f:
        out = subprocess.run([program, "stdin", "stdout", "-l", languages, "tsv"], stdin=f,
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
    ap.add_argument("--squad-out", default=None)
    ap.add_argument("--japanese", default=None)
    args = ap.parse_args()
    if args.squad_out:
        return squad_out(args)
    if args.japanese:
        return japanese(args)
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


def japanese(args):
    texts = [t.strip() for t in open(args.japanese, encoding="utf-8") if t.strip()]
    work = args.out or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    errors = chars = 0
    start = time.perf_counter()
    for i, t in enumerate(texts):
        path = os.path.join(work, f"ja-{i:03d}.png")
        render(t, path, False, "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf", 36)
        read = "".join(ocr(args.tesseract, path, "jpn").split())
        truth = "".join(t.split())
        errors += distance(read, truth)
        chars += len(truth)
    print(json.dumps({"condition": "japanese", "pages": len(texts), "cer": round(errors / chars, 4),
                      "seconds": round(time.perf_counter() - start, 1)}))


def squad_out(args):
    data = json.load(open(args.squad))
    work = args.out or tempfile.mkdtemp()
    os.makedirs(work, exist_ok=True)
    paras = [p for a in data["data"] for p in a["paragraphs"]]

    def read(i):
        path = os.path.join(work, f"squad-{i:05d}.png")
        render(" ".join(paras[i]["context"].split()), path, False)
        text = ocr(args.tesseract, path)
        os.remove(path)
        return text

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(read, range(len(paras))))
    for p, t in zip(paras, texts):
        p["context"] = t
    json.dump(data, open(args.squad_out, "w"))
    print(json.dumps({"paragraphs": len(paras), "seconds": round(time.perf_counter() - start, 1)}))


if __name__ == "__main__":
    main()
