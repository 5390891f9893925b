#!/usr/bin/env python3
"""Writes the crafted inputs of tools/fuzz/regressions/<target>/ that no fuzz run produced.

Run from the repository root:  .venv/bin/python tools/fuzz/make_regression_inputs.py

Inputs found by tools/fuzz.sh are copied into the same folders by hand (the README there lists
every file and what it once did); this script only makes the ones written on purpose, seeded.
"""
import os

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tools", "fuzz", "regressions")


def keras_file(name, make_dataset):
    """A Keras save_weights file with one layer 'big' holding one dataset 'big/kernel:0'."""
    path = os.path.join(OUT, "weights", name)
    with h5py.File(path, "w", libver=("v108", "latest")) as f:
        f.attrs["layer_names"] = np.array([b"big"], dtype="S")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.15.0")
        g = f.create_group("big")
        g.attrs["weight_names"] = np.array([b"big/kernel:0"], dtype="S")
        make_dataset(g, "big/kernel:0")
    print(name, os.path.getsize(path))


def main():
    os.makedirs(os.path.join(OUT, "weights"), exist_ok=True)
    # 2^40 x 2^40 floats, chunked, no chunk written: the element count overflows Int.
    keras_file("dims-overflow.h5", lambda g, n: g.create_dataset(n, shape=(2**40, 2**40), dtype="f4", chunks=(1, 16)))
    # 2^20 x 2^20 floats (4 TiB), chunked, no chunk written: reading would allocate 4 TiB.
    keras_file("dims-4tib-no-chunks.h5", lambda g, n: g.create_dataset(n, shape=(2**20, 2**20), dtype="f4", chunks=(1, 16)))
    # 2^31 floats (8 GiB), contiguous, never written (libhdf5 allocates contiguous data late).
    keras_file("contiguous-8gib-unwritten.h5", lambda g, n: g.create_dataset(n, shape=(2**31,), dtype="f4"))

    def some_chunks(g, n):
        d = g.create_dataset(n, shape=(64, 64), dtype="f4", chunks=(16, 16))
        d[:16, :16] = np.random.default_rng(7).normal(size=(16, 16)).astype(np.float32)
    # 64x64 in 16 chunks of which one is written: the rest would read as zeros.
    keras_file("chunks-missing.h5", some_chunks)
    layer_name_with_line_breaks()


def layer_name_with_line_breaks():
    """layer_names lists a 600-character name with line breaks and an escape, with no group."""
    name = "damaged\nlayer\r\x1b[31m" + "x" * 581
    path = os.path.join(OUT, "weights", "layer-name-line-breaks.h5")
    with h5py.File(path, "w", libver=("v108", "latest")) as f:
        f.attrs["layer_names"] = np.array([name.encode()], dtype="S")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.15.0")
    print(os.path.basename(path), os.path.getsize(path))


if __name__ == "__main__":
    main()
