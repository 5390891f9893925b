#!/usr/bin/env python3
"""Writes the small broken CVR-Net weight files of Tests/Fixtures/model-errors/.

Run from the repository root:  .venv/bin/python tools/make_model_error_fixtures.py

Each file is a Keras 2 `save_weights` HDF5 file (root attributes `layer_names`, `backend`,
`keras_version`; one group per layer with `weight_names`; datasets named after the layers'
variables, e.g. `res_conv1_conv/conv1_conv/kernel:0`) that holds only what the loader reads
before the error it is made for: the names it resolves first (the ResNet50 stem, the four
auto-named Xception residual layers, the fifteen auto-named head Dense layers and MKH_1..5,
the last three with no weights) and a handful of small arrays. The loader's order is:
naming scheme (`res_conv1_conv` or `res_conv1`), Xception residual names, head Dense names,
the final Dense kernel of every head (class count), then ResNet50 from its stem.

Only h5py and numpy are needed (no TensorFlow); everything is seeded, so the files are the
same on every run. The README beside the files lists what each one must make the loader say.
"""
import json
import os

import h5py
import numpy as np

from cvrnet_common import ROOT, head_layers  # noqa: E402
OUT = os.path.join(ROOT, "Tests", "Fixtures", "model-errors")
SEED = 20200723

TFKERAS = "tfkeras"
KERAS231 = "keras231"
# Newer object headers and compact groups: files a third the size of the default layout, and
# read by libhdf5 1.10 just the same (Keras itself writes the default, oldest layout).
LIBVER = ("v108", "latest")


def layer_names(scheme, with_xception=True):
    """The names CVR-Net's loader resolves before building ResNet50, in a plausible order."""
    if scheme == TFKERAS:
        stem = ["res_conv1_conv"]
        convs = ["xce_conv2d"] + [f"xce_conv2d_{i}" for i in range(1, 4)]
        norms = ["xce_batch_normalization"] + [f"xce_batch_normalization_{i}" for i in range(1, 4)]
        dense = ["dense"] + [f"dense_{i}" for i in range(1, 15)]
    else:
        stem = ["res_conv1"]
        convs = [f"xce_conv2d_{i}" for i in range(1, 5)]
        norms = [f"xce_batch_normalization_{i}" for i in range(1, 5)]
        dense = [f"dense_{i}" for i in range(1, 16)]
    heads = [layer for head in head_layers(dense) for layer in head]
    return stem + (convs + norms if with_xception else []) + heads, dense


def write(name, scheme, weights, with_xception=True, note=""):
    """weights: {layer: [(variable name, array)]}; listed layers without an entry have none."""
    names, _ = layer_names(scheme, with_xception)
    for layer in weights:
        if layer not in names:
            names.insert(1, layer)
    path = os.path.join(OUT, name)
    with h5py.File(path, "w", libver=LIBVER) as f:
        f.attrs["layer_names"] = np.array([n.encode() for n in names], dtype="S")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.3.1" if scheme == KERAS231 else b"2.15.0")
        f.attrs["cvrnet_model_error_fixture"] = np.bytes_(note.encode())
        for layer in names:
            g = f.create_group(layer)
            arrays = weights.get(layer, [])
            if arrays:
                g.attrs["weight_names"] = np.array([v.encode() for v, _ in arrays], dtype="S")
            else:
                g.attrs["weight_names"] = np.asarray([])  # what Keras writes for a layer without weights
            for variable, value in arrays:
                g.create_dataset(variable, data=value)
    return path


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)

    def normal(*shape):
        return rng.normal(0.0, 0.05, shape).astype(np.float32)

    def heads(scheme, units=(2, 2, 2, 2, 2)):
        """The final Dense layer of every head: kernel (64, N) and bias (N,)."""
        _, dense = layer_names(scheme)
        out = {}
        for head, n in zip(head_layers(dense), units):
            layer = head[3]
            out[layer] = [(f"{layer}/kernel:0", normal(64, n)), (f"{layer}/bias:0", normal(n))]
        return out

    def stem(scheme, kernel=None, bias=None, with_bias=True):
        layer, var = ("res_conv1_conv", "conv1_conv") if scheme == TFKERAS else ("res_conv1", "conv1")
        arrays = [(f"{var}/kernel:0", normal(7, 7, 3, 64) if kernel is None else kernel)]
        if with_bias:
            arrays.append((f"{var}/bias:0", normal(64) if bias is None else bias))
        return {layer: arrays}

    made = {}

    made["tfkeras-stem-bn-missing.h5"] = write(
        "tfkeras-stem-bn-missing.h5", TFKERAS, {**heads(TFKERAS), **stem(TFKERAS)},
        note="tf.keras names; the stem conv is complete, its BatchNormalization res_conv1_bn is absent")

    made["keras231-stem-bn-missing.h5"] = write(
        "keras231-stem-bn-missing.h5", KERAS231, {**heads(KERAS231), **stem(KERAS231)},
        note="Keras 2.3.1 names; the stem conv is complete, its BatchNormalization res_bn_conv1 is absent")

    made["stem-kernel-wrong-shape.h5"] = write(
        "stem-kernel-wrong-shape.h5", TFKERAS, {**heads(TFKERAS), **stem(TFKERAS, kernel=normal(7, 7, 3, 32))},
        note="tf.keras names; the stem kernel has 32 filters instead of 64")

    made["stem-weight-count.h5"] = write(
        "stem-weight-count.h5", TFKERAS, {**heads(TFKERAS), **stem(TFKERAS, with_bias=False)},
        note="tf.keras names; the stem conv has a kernel but no bias")

    kernel = normal(7, 7, 3, 64)
    kernel.reshape(-1)[1234] = np.nan
    made["stem-kernel-nan.h5"] = write(
        "stem-kernel-nan.h5", TFKERAS, {**heads(TFKERAS), **stem(TFKERAS, kernel=kernel)},
        note="tf.keras names; element 1234 of the stem kernel is NaN")

    bias = normal(64)
    bias[5] = np.inf
    made["stem-bias-inf.h5"] = write(
        "stem-bias-inf.h5", KERAS231, {**heads(KERAS231), **stem(KERAS231, bias=bias)},
        note="Keras 2.3.1 names; element 5 of the stem bias is +Inf")

    made["heads-disagree.h5"] = write(
        "heads-disagree.h5", TFKERAS, heads(TFKERAS, units=(2, 2, 3, 2, 2)),
        note="tf.keras names; head 3's final Dense has 3 units, the others 2")

    made["one-class.h5"] = write(
        "one-class.h5", TFKERAS, heads(TFKERAS, units=(1, 1, 1, 1, 1)),
        note="tf.keras names; every head has a single output unit")

    made["xception-residuals-missing.h5"] = write(
        "xception-residuals-missing.h5", TFKERAS, {}, with_xception=False,
        note="tf.keras names; no auto-named Xception residual layers xce_conv2d* / xce_batch_normalization*")

    sizes = {name: os.path.getsize(path) for name, path in sorted(made.items())}
    print(json.dumps(sizes, indent=1))


if __name__ == "__main__":
    main()
