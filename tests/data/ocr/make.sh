#!/usr/bin/env bash
# Makes the scanned fixtures of tests/it/ocr.rs: page images rendered from
# text by ImageMagick (DejaVu Serif, 150 DPI, 8-bit grey, as a scanner
# saves them), then a PNG of page 1, a two-page TIFF and a two-page PDF
# with no text layer (img2pdf, from PyPI). Needs the Debian packages
# imagemagick and fonts-dejavu-core, and python3-venv.
# Usage: bash tests/data/ocr/make.sh   (writes beside this script)
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
page() {
  convert -size 1275x825 xc:white -font DejaVu-Serif -pointsize 30 -fill black \
    -annotate +90+120 "$2" -density 150 -units PixelsPerInch \
    -depth 8 -alpha off -type Grayscale "$work/$1.png"
}
page p1 "Scanned Memo

The harbour authority approved 412 new cranes on 3 March 2025.
Robots will inspect every hull before it leaves the dry dock.

The budget is roughly 1 trillion yen over five years."
page p2 "Second Page

The second page says the cranes arrive in May."
cp "$work/p1.png" "$out/memo.png"
convert "$work/p1.png" "$work/p2.png" -compress lzw "$out/pages.tif"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q img2pdf
"$work/venv/bin/img2pdf" --pagesize A4 "$work/p1.png" "$work/p2.png" -o "$out/scan.pdf"
