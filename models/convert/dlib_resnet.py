#!/usr/bin/env python3
"""Convert dlib's face-recognition ResNet (dlib_face_recognition_resnet_model_v1.dat) to safetensors.

Usage: python dlib_resnet.py OUT_DIR

Reads the .dat shipped in the installed `face_recognition_models` package (0.3.0, PyPI; model by
Davis King, CC0) and writes OUT_DIR/dlib-resnet-v1.safetensors plus a model card
OUT_DIR/dlib-resnet-v1.json. Output is deterministic (sorted tensor names, no timestamps).

The .dat is dlib's own binary serialisation of the network type `anet_type` from
dlib/examples/dnn_face_recognition_ex.cpp:

* integers: a control byte (low 4 bits = number of bytes that follow, 0x80 = negative) then the
  magnitude, little-endian;
* strings: integer length then the bytes;
* bools: the ASCII characters '0' / '1';
* scalar floats: `float_details`, an int64 mantissa then an int16 exponent (value = m * 2^e);
* tensors: int version (2), then num_samples, k, nr, nc as integers, then raw little-endian f32;
* alias tensors (views into a layer's `params`): int version (1) then the four dims only.

`add_layer::serialize` writes its version, then *its subnetwork*, then its own layer details, so
the file starts with the version numbers of every layer from the loss down, then the input layer,
then the layer details from the input upwards (forward order). Tag and skip layers only write a
version. The parser below follows the nesting of the architecture exactly and fails on any
unexpected tag, shape or hyper-parameter.
"""

import hashlib
import json
import os
import struct
import sys

import numpy as np

NAME = "dlib-resnet-v1"
DAT_NAME = "dlib_face_recognition_resnet_model_v1.dat"
CHIP = 150


class FormatError(Exception):
    pass


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        if self.pos >= len(self.data):
            raise FormatError("unexpected end of file")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def bytes(self, n):
        if self.pos + n > len(self.data):
            raise FormatError("unexpected end of file")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def int(self):
        ctrl = self.byte()
        size = ctrl & 0x0F
        if size == 0 or size > 8 or ctrl & 0x70:
            raise FormatError(f"bad integer control byte 0x{ctrl:02x} at {self.pos - 1}")
        v = int.from_bytes(self.bytes(size), "little")
        return -v if ctrl & 0x80 else v

    def string(self):
        n = self.int()
        if not 0 <= n < 1000:
            raise FormatError(f"implausible string length {n}")
        return self.bytes(n).decode("ascii")

    def bool(self):
        c = self.byte()
        if c not in (ord("0"), ord("1")):
            raise FormatError(f"bad bool byte {c!r} at {self.pos - 1}")
        return c == ord("1")

    def float(self):
        mantissa = self.int()
        exponent = self.int()
        if exponent >= 32000:
            raise FormatError("inf/nan scalar in model file")
        # float_details stores a float exactly; round through f32 as dlib does.
        return float(np.float32(mantissa * 2.0 ** exponent))

    def expect_int(self, want, what):
        got = self.int()
        if got != want:
            raise FormatError(f"{what}: expected {want}, got {got} at offset {self.pos}")

    def expect_string(self, want):
        got = self.string()
        if got != want:
            raise FormatError(f"expected layer tag {want!r}, got {got!r} at offset {self.pos}")

    def tensor(self):
        self.expect_int(2, "tensor version")
        shape = tuple(self.int() for _ in range(4))
        n = int(np.prod(shape))
        arr = np.frombuffer(self.bytes(4 * n), dtype="<f4").astype(np.float32)
        return arr.reshape(shape)

    def alias(self):
        self.expect_int(1, "alias_tensor version")
        return tuple(self.int() for _ in range(4))


# ----------------------------------------------------------------------------------------------
# Architecture, outermost (loss) to innermost (input), exactly as the template nesting in
# dnn_face_recognition_ex.cpp. Each entry: (kind, args, weight-name prefix or None).

def block(prefix, n, stride):
    # BN<con<N,3,3,1,1,relu<BN<con<N,3,3,stride,stride,SUBNET>>>>>, outermost first
    return [
        ("affine", n, f"{prefix}.bn2"),
        ("con", (n, 3, 1), f"{prefix}.conv2"),
        ("relu", None, None),
        ("affine", n, f"{prefix}.bn1"),
        ("con", (n, 3, stride), f"{prefix}.conv1"),
    ]


def ares(prefix, n):
    # relu<add_prev1<block<N,BN,1,tag1<SUBNET>>>>
    return [("relu", None, None), ("add_prev", None, None)] + block(prefix, n, 1) + [("tag", 1, None)]


def ares_down(prefix, n):
    # relu<add_prev2<avg_pool<2,2,2,2,skip1<tag2<block<N,BN,2,tag1<SUBNET>>>>>>>
    return ([("relu", None, None), ("add_prev", None, None), ("avg_pool", (2, 2), None),
             ("skip", 1, None), ("tag", 2, None)]
            + block(prefix, n, 2) + [("tag", 1, None)])


# (level name, channels, number of blocks, first block downsamples), outermost first.
LEVELS = [
    ("level0", 256, 1, True),
    ("level1", 256, 3, True),
    ("level2", 128, 3, True),
    ("level3", 64, 4, True),
    ("level4", 32, 3, False),
]


def architecture():
    arch = [("fc_no_bias", 128, "fc"), ("avg_pool_everything", None, None)]
    for level, n, count, down in LEVELS:
        # Outermost block of a level is the last one applied.
        for i in reversed(range(count)):
            prefix = f"{level}.{i}"
            arch += ares_down(prefix, n) if (down and i == 0) else ares(prefix, n)
    arch += [("max_pool", (3, 2), None), ("relu", None, None), ("affine", 32, "bn1"),
             ("con", (32, 7, 2), "conv1")]
    return arch


# ----------------------------------------------------------------------------------------------

def read_con(r, args, in_channels):
    n, k, stride = args
    pad = 0 if stride != 1 else k // 2
    tag = r.string()
    if tag not in ("con_4", "con_5", "con_6"):
        raise FormatError(f"expected con_4..6, got {tag!r}")
    params = r.tensor()
    r.expect_int(n, "con num_filters")
    r.expect_int(k, "con nr")
    r.expect_int(k, "con nc")
    r.expect_int(stride, "con stride_y")
    r.expect_int(stride, "con stride_x")
    r.expect_int(pad, "con padding_y")
    r.expect_int(pad, "con padding_x")
    fshape = r.alias()
    bshape = r.alias()
    for _ in range(4):
        r.float()  # learning-rate / weight-decay multipliers
    use_bias = True
    if tag in ("con_5", "con_6"):
        use_bias = r.bool()
    if tag == "con_6" and r.bool():
        raise FormatError("con_ with fused relu not expected")
    if fshape != (n, in_channels, k, k):
        raise FormatError(f"con filters shape {fshape}, expected {(n, in_channels, k, k)}")
    if bshape != (1, n, 1, 1):
        raise FormatError(f"con bias shape {bshape}")
    flat = params.reshape(-1)
    nw = n * in_channels * k * k
    want = nw + (n if use_bias else 0)
    if flat.size != want:
        raise FormatError(f"con params size {flat.size}, expected {want}")
    weight = flat[:nw].reshape(n, in_channels, k, k)
    bias = flat[nw:nw + n] if use_bias else np.zeros(n, np.float32)
    return weight, bias


def read_affine(r, n):
    tag = r.string()
    if tag == "bn_con2":
        raise FormatError("bn_con2 (training-time batch norm) in place of affine_ is not handled")
    if tag not in ("affine_", "affine_2"):
        raise FormatError(f"expected affine_, got {tag!r}")
    params = r.tensor()
    gshape = r.alias()
    bshape = r.alias()
    mode = r.int()
    if tag == "affine_2" and r.bool():
        raise FormatError("disabled affine layer not expected")
    if mode != 0:  # layer_mode CONV_MODE = 0: one scale/shift per channel
        raise FormatError(f"affine layer_mode {mode}, expected CONV_MODE (0)")
    if gshape != (1, n, 1, 1) or bshape != (1, n, 1, 1):
        raise FormatError(f"affine shapes {gshape} {bshape}, expected per-channel {n}")
    flat = params.reshape(-1)
    if flat.size != 2 * n:
        raise FormatError(f"affine params size {flat.size}, expected {2 * n}")
    return flat[:n].copy(), flat[n:].copy(), mode


def read_details(r, kind, args, ctx):
    """Parses one layer's details; ctx carries the running channel count."""
    if kind == "con":
        w, b = read_con(r, args, ctx["channels"])
        ctx["channels"] = args[0]
        return {"weight": w, "bias": b}
    if kind == "affine":
        if args != ctx["channels"]:
            raise FormatError(f"affine over {args} channels after {ctx['channels']}")
        scale, shift, _ = read_affine(r, args)
        return {"scale": scale, "shift": shift}
    if kind == "relu":
        tag = r.string()
        if tag == "relu_2":
            if r.bool():
                raise FormatError("disabled relu not expected")
        elif tag != "relu_":
            raise FormatError(f"expected relu_, got {tag!r}")
        return {}
    if kind == "max_pool" or kind == "avg_pool" or kind == "avg_pool_everything":
        if kind == "avg_pool_everything":
            size, stride = 0, 1
            r.expect_string("avg_pool_2")
        else:
            size, stride = args
            r.expect_string(f"{kind}_2")
        pad = 0 if stride != 1 else size // 2
        for what, want in (("nr", size), ("nc", size), ("stride_y", stride),
                           ("stride_x", stride), ("padding_y", pad), ("padding_x", pad)):
            r.expect_int(want, f"{kind} {what}")
        return {}
    if kind == "add_prev":
        r.expect_string("add_prev_")
        return {}
    if kind == "fc_no_bias":
        tag = r.string()
        if tag not in ("fc_2", "fc_3"):
            raise FormatError(f"expected fc_2/fc_3, got {tag!r}")
        r.expect_int(args, "fc num_outputs")
        num_inputs = r.int()
        if num_inputs != ctx["channels"]:
            raise FormatError(f"fc num_inputs {num_inputs}, expected {ctx['channels']}")
        params = r.tensor()
        wshape = r.alias()
        bshape = r.alias()
        r.expect_int(1, "fc bias_mode (FC_NO_BIAS)")
        for _ in range(4):
            r.float()
        if tag == "fc_3" and r.bool():
            raise FormatError("fc_no_bias with use_bias=true")
        if wshape != (num_inputs, args, 1, 1):
            raise FormatError(f"fc weight shape {wshape}")
        flat = params.reshape(-1)
        if flat.size != num_inputs * args:
            raise FormatError(f"fc params size {flat.size}")
        # dlib computes out = x * W with W stored (num_inputs, num_outputs) row-major.
        w = flat.reshape(num_inputs, args)
        return {"weight": np.ascontiguousarray(w.T)}  # (out, in), like torch/candle Linear
    raise FormatError(f"no details reader for {kind}")


def parse(data):
    r = Reader(data)
    r.expect_int(1, "add_loss_layer version")
    r.expect_string("loss_metric_2")
    margin = r.float()
    dist_thresh = r.float()
    arch = architecture()
    layers = []  # forward order: (kind, prefix, details)
    ctx = {"channels": 3}
    meta = {}

    # Iterative form of the recursive serialisation: first every layer's header down to the
    # input, then (unwinding) every layer's details.
    for i, (kind, _, _) in enumerate(arch):
        innermost = i == len(arch) - 1
        if kind in ("tag", "skip"):
            r.expect_int(1, f"{kind} layer version")
        else:
            v = r.int()
            if innermost:
                if v not in (2, 3):
                    raise FormatError(f"input add_layer version {v}")
            elif v not in (1, 2):
                raise FormatError(f"add_layer version {v} for {kind}")
            arch[i] = arch[i] + (v,)
    r.expect_string("input_rgb_image_sized")
    meta["mean"] = [r.float(), r.float(), r.float()]
    r.expect_int(CHIP, "input NR")
    r.expect_int(CHIP, "input NC")

    for i in reversed(range(len(arch))):
        kind, args, prefix = arch[i][:3]
        if kind in ("tag", "skip"):
            continue
        version = arch[i][3]
        innermost = i == len(arch) - 1
        details = read_details(r, kind, args, ctx)
        # Remaining add_layer state: training flags and scratch tensors (expected empty).
        r.bool()  # this_layer_setup_called
        r.bool()  # gradient_input_is_stale
        r.bool()  # get_output_and_gradient_input_disabled
        n_tensors = 3 if (innermost or version == 2) else 2  # x_grad, cached_output, params_grad/grad_final
        for _ in range(n_tensors):
            t = r.tensor()
            if t.size:
                raise FormatError(f"non-empty scratch tensor {t.shape} in {kind}")
        if innermost and version == 3:
            r.expect_int(1, "sample_expansion_factor")
        layers.append((kind, prefix, details))
    if r.pos != len(data):
        raise FormatError(f"{len(data) - r.pos} trailing bytes")
    meta["margin"] = margin
    meta["dist_thresh"] = dist_thresh
    return layers, meta


def locate_dat():
    import face_recognition_models

    path = os.path.join(os.path.dirname(face_recognition_models.__file__), "models", DAT_NAME)
    if not os.path.isfile(path):
        raise SystemExit(f"{DAT_NAME} not found in face_recognition_models ({path})")
    return path


def write_safetensors(tensors, path):
    # Written by hand (not safetensors.numpy.save_file) so the bytes depend only on the
    # tensors: sorted names, fixed metadata, no library-version differences.
    header = {"__metadata__": {"format": "pt", "source": "dlib_face_recognition_resnet_model_v1.dat"}}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * (-len(hjson) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for raw in blobs:
            f.write(raw)


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: dlib_resnet.py OUT_DIR")
    out_dir = sys.argv[1]
    dat = locate_dat()
    with open(dat, "rb") as f:
        data = f.read()
    layers, meta = parse(data)

    tensors = {}
    for kind, prefix, details in layers:
        if kind == "con":
            tensors[f"{prefix}.weight"] = details["weight"]
            tensors[f"{prefix}.bias"] = details["bias"]
        elif kind == "affine":
            tensors[f"{prefix}.scale"] = details["scale"]
            tensors[f"{prefix}.shift"] = details["shift"]
        elif kind == "fc_no_bias":
            tensors[f"{prefix}.weight"] = details["weight"]
    for name, t in tensors.items():
        if not np.all(np.isfinite(t)):
            raise SystemExit(f"non-finite values in {name}")

    os.makedirs(out_dir, exist_ok=True)
    st_path = os.path.join(out_dir, f"{NAME}.safetensors")
    write_safetensors(tensors, st_path)
    with open(st_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    with open(dat, "rb") as f:
        dat_sha = hashlib.sha256(f.read()).hexdigest()

    # Shortest decimal that round-trips to dlib's f32 means (122.782f etc.).
    mean = [float(str(np.float32(m))) for m in meta["mean"]]
    card = {
        "name": NAME,
        "file": f"{NAME}.safetensors",
        "sha256": sha,
        "license": "CC0-1.0",
        "source": {
            "package": "face_recognition_models==0.3.0 (PyPI)",
            "file": f"face_recognition_models/models/{DAT_NAME}",
            "file_sha256": dat_sha,
            "author": "dlib by Davis King (dlib.net); network of dlib/examples/dnn_face_recognition_ex.cpp",
            "converter": "models/convert/dlib_resnet.py",
        },
        "architecture": "ResNet-29-like: con7x7/2(32), affine, relu, maxpool3/2, residual levels "
                        "32x3, 64x4, 128x3, 256x3, 256x1 (first block of levels 64..256 downsamples: "
                        "avg_pool2/2 shortcut, zero-padded channels), global avg pool, fc_no_bias(128). "
                        "affine = frozen batch norm (per-channel scale, shift).",
        "parameters": int(sum(t.size for t in tensors.values())),
        "tensors": len(tensors),
        "input": {
            "description": "150x150 RGB face chip aligned by dlib's 5-point get_face_chip_details(size 150, padding 0.25)",
            "layout": "NCHW, channels R,G,B",
            "normalisation": "(pixel - mean[c]) / scale",
            "mean": mean,
            "scale": 256.0,
        },
        "output": {
            "dimension": 128,
            "normalised": False,
            "note": "raw 128-d descriptor, NOT unit-normalised; compare with Euclidean distance",
            "same_person_threshold": 0.6,
            "reported_accuracy": "99.38% on LFW (dlib, Davis King)",
            "training_loss": {"name": "loss_metric", "margin": float(str(np.float32(meta["margin"]))),
                              "dist_thresh": float(str(np.float32(meta["dist_thresh"])))},
        },
        "config": {
            "input_size": CHIP,
            "mean": mean,
            "scale": 256.0,
            "embedding_dim": 128,
            "threshold": 0.6,
        },
    }
    with open(os.path.join(out_dir, f"{NAME}.json"), "w") as f:
        json.dump(card, f, indent=2, sort_keys=False)
        f.write("\n")
    print(f"wrote {st_path} ({len(tensors)} tensors, sha256 {sha})")


if __name__ == "__main__":
    main()
