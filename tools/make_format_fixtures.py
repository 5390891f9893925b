#!/usr/bin/env python3
"""Writes the small HDF5 / Keras fixture files of Tests/Fixtures/format/.

Run from the repository root:  .venv/bin/python tools/make_format_fixtures.py

Everything is seeded; the numbers the Swift tests compare against are written beside the
files, in expected.json, straight from Keras's `layer.get_weights()` (or from the arrays
this script stored). See Tests/Fixtures/format/README.md for what each file is for.
"""
import io
import json
import os
import shutil
import struct
import sys
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402

from cvrnet_common import ROOT  # noqa: E402
OUT = os.path.join(ROOT, "Tests", "Fixtures", "format")
SEED = 20200723  # arXiv 2007.11993 went up in July 2020


def path(name):
    return os.path.join(OUT, name)


# ----------------------------------------------------------------------------------------
# The tiny tf.keras model
# ----------------------------------------------------------------------------------------

def build_tiny_model():
    """Conv2D, BatchNormalization, SeparableConv2D, Dense, plus weight-less layers.

    Two layers are renamed after they were built, as CVR-Net's notebook does with its
    `res_` / `xce_` prefixes, so their variables keep the old names (`conv1/kernel:0`
    under the group `res_conv1`).
    """
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, name="conv1")(inputs)
    x = keras.layers.BatchNormalization(epsilon=1.001e-5, name="bn1")(x)
    x = keras.layers.Activation("relu", name="relu1")(x)
    x = keras.layers.SeparableConv2D(5, 3, padding="same", name="sep1")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dense(3, activation="softmax", name="dense_out")(x)
    model = keras.Model(inputs, x, name="tiny")

    rng = np.random.default_rng(SEED)
    for layer in model.layers:
        values = []
        for weight in layer.weights:
            shape = tuple(weight.shape)
            if "moving_variance" in weight.name:
                v = rng.uniform(0.5, 1.5, shape)
            else:
                v = rng.normal(0.0, 0.5, shape)
            values.append(v.astype(np.float32))
        if values:
            layer.set_weights(values)

    model.get_layer("conv1")._name = "res_conv1"
    model.get_layer("bn1")._name = "res_bn1"
    return model


def keras_expectation(model, layout, keras_version, backend):
    """What a reader must find in a file saved from `model`: names, shapes, values."""
    layers = {}
    for layer in model.layers:
        layers[layer.name] = [
            {"name": w.name, "shape": list(v.shape), "values": [float(x) for x in v.reshape(-1)]}
            for w, v in zip(layer.weights, layer.get_weights())
        ]
    return {
        "layout": layout,
        "layer_names": [layer.name for layer in model.layers],
        "keras_version": keras_version,
        "backend": backend,
        "layers": layers,
    }


def weights_table(model):
    """[(layer name, [(weight name, float32 array)])] in model order."""
    return [
        (layer.name, [(w.name, np.asarray(v, dtype=np.float32)) for w, v in zip(layer.weights, layer.get_weights())])
        for layer in model.layers
    ]


# ----------------------------------------------------------------------------------------
# Attribute writers for every string encoding
# ----------------------------------------------------------------------------------------

def fixed_strings_attr(obj, name, strings, pad="nullpad", scalar=False, utf8=False, min_size=1):
    """A fixed-length string attribute, as numpy 'S' arrays give (null-padded) or with
    explicit null-termination or space padding (written with h5py's low-level API)."""
    encoded = [s.encode("utf-8") for s in strings]
    size = max([len(e) for e in encoded] + [min_size])
    if pad == "nullterm":
        size += 1
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(size)
    tid.set_strpad({"nullpad": h5py.h5t.STR_NULLPAD, "nullterm": h5py.h5t.STR_NULLTERM,
                    "spacepad": h5py.h5t.STR_SPACEPAD}[pad])
    tid.set_cset(h5py.h5t.CSET_UTF8 if utf8 else h5py.h5t.CSET_ASCII)
    if scalar:
        assert len(encoded) == 1
        space = h5py.h5s.create(h5py.h5s.SCALAR)
        data = np.array(encoded[0], dtype=f"S{size}")
    else:
        space = h5py.h5s.create_simple((len(encoded),))
        data = np.array(encoded, dtype=f"S{size}")
    if h5py.h5a.exists(obj.id, name.encode()):
        h5py.h5a.delete(obj.id, name.encode())
    attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
    if pad == "spacepad":
        # Write through a space-padded memory type so the bytes in the file are spaces.
        raw = np.array([e.ljust(size, b" ") for e in encoded] if not scalar else encoded[0].ljust(size, b" "),
                       dtype=f"S{size}")
        attr.write(raw, mtype=tid)
    else:
        attr.write(data, mtype=tid)


def vlen_strings_attr(obj, name, strings, scalar=False):
    """A variable-length UTF-8 string attribute, as h5py writes Python str."""
    if scalar:
        obj.attrs.create(name, strings[0], dtype=h5py.string_dtype("utf-8"))
    else:
        obj.attrs.create(name, np.array(strings, dtype=object), shape=(len(strings),),
                         dtype=h5py.string_dtype("utf-8"))


def keras2_split_attr(obj, name, strings, parts):
    """Keras splits an attribute too big for an object header into name0, name1, ..."""
    chunks = np.array_split(np.array([s.encode() for s in strings]), parts)
    for i, chunk in enumerate(chunks):
        obj.attrs[f"{name}{i}"] = chunk


def write_keras_tree(group, table, dtype, string_style, chunked=False, split_layer_names=0,
                     skip_group=None, extra_weight=None, bad_values=None):
    """Writes the Keras 2 weights tree (layer_names, one group per layer, weight_names).

    string_style: "vlen" | "nullpad" | "spacepad" | "nullterm".
    bad_values: {(layer, weight): (flat index, value)} to plant NaN / Inf.
    """
    names = [layer for layer, _ in table]
    if split_layer_names:
        keras2_split_attr(group, "layer_names", names, split_layer_names)
    elif string_style == "vlen":
        vlen_strings_attr(group, "layer_names", names)
    else:
        fixed_strings_attr(group, "layer_names", names, pad=string_style)
    for layer, weights in table:
        if layer == skip_group:
            continue
        g = group.create_group(layer)
        weight_names = [w for w, _ in weights]
        if extra_weight and extra_weight[0] == layer:
            weight_names.append(extra_weight[1])
        if not weight_names:
            # What Keras 2 writes for a layer without weights: np.asarray([]) is float64.
            g.attrs["weight_names"] = np.asarray([])
        elif string_style == "vlen":
            vlen_strings_attr(g, "weight_names", weight_names)
        else:
            fixed_strings_attr(g, "weight_names", weight_names, pad=string_style)
        for wname, value in weights:
            v = value.astype(dtype)
            if bad_values and (layer, wname) in bad_values:
                index, bad = bad_values[(layer, wname)]
                v.reshape(-1)[index] = bad
            kwargs = {"chunks": True, "compression": "gzip"} if chunked and v.ndim > 0 else {}
            g.create_dataset(wname, data=v, **kwargs)


def table_expectation(table, layout, keras_version, backend, dtype):
    return {
        "layout": layout,
        "layer_names": [layer for layer, _ in table],
        "keras_version": keras_version,
        "backend": backend,
        "layers": {
            layer: [{"name": w, "shape": list(v.shape),
                     "values": [float(x) for x in v.astype(dtype).astype(np.float32).reshape(-1)]}
                    for w, v in weights]
            for layer, weights in table
        },
    }


def json_number(x):
    """A float for JSON, with NaN and infinities as the strings "nan", "inf", "-inf"."""
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def write_patched_truncation(target, table, chunked):
    """A truncated file that libhdf5 still opens.

    A Keras tree whose last layer's kernel is written last (the file reopened in append
    mode, so that its data ends the file), cut inside that data, with the superblock's
    end-of-file address set to the cut: libhdf5's own truncation check passes and only the
    damaged dataset must fail to read. `chunked` stores the kernel in 4 chunks of 8x32.
    """
    big = np.random.default_rng(SEED + 1).normal(0, 0.5, (32, 32)).astype(np.float32)
    big_table = table + [("big_dense", [("big_dense/kernel:0", big)])]
    whole = target + ".tmp"
    with h5py.File(whole, "w") as f:
        write_keras_tree(f, big_table[:-1], np.float32, "nullpad")
        fixed_strings_attr(f, "layer_names", [layer for layer, _ in big_table])
        fixed_strings_attr(f.create_group("big_dense"), "weight_names", ["big_dense/kernel:0"])
    with h5py.File(whole, "a") as f:
        f["big_dense"].create_dataset("big_dense/kernel:0", data=big, chunks=(8, 32) if chunked else None)
    data = open(whole, "rb").read()
    os.remove(whole)
    with h5py.File(io.BytesIO(data), "r") as f:
        dsid = f["big_dense/big_dense/kernel:0"].id
        if chunked:
            infos = [dsid.get_chunk_info(i) for i in range(dsid.get_num_chunks())]
            offset, size = max((info.byte_offset, info.size) for info in infos)
        else:
            offset, size = dsid.get_offset(), dsid.get_storage_size()
    assert offset + size == len(data), "the big kernel's (last chunk's) data must end the file"
    assert data[:8] == b"\x89HDF\r\n\x1a\n" and data[8] == 0, "expects a version 0 superblock"
    cut = offset + size // 2
    patched = bytearray(data[:cut])
    patched[40:48] = struct.pack("<Q", cut)  # superblock v0: end-of-file address at byte 40
    with open(target, "wb") as f:
        f.write(patched)
    with h5py.File(target, "r") as f:  # it opens, and the rest reads
        assert np.array_equal(f["dense_out/dense_out/bias:0"][...], table[-1][1][1][1])


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------

def main():
    if os.path.isdir(OUT):
        for name in os.listdir(OUT):
            if name != "README.md":
                os.remove(path(name))
    os.makedirs(OUT, exist_ok=True)
    expected = {"seed": SEED, "files": {}}

    model = build_tiny_model()
    table = weights_table(model)
    version = keras.__version__

    # 1. tf.keras save_weights and model.save (HDF5).
    model.save_weights(path("tiny_weights.h5"))
    expected["files"]["tiny_weights.h5"] = keras_expectation(model, "weightsOnly", version, "tensorflow")
    model.save(path("tiny_full.h5"), save_format="h5")
    expected["files"]["tiny_full.h5"] = keras_expectation(model, "fullModel", version, "tensorflow")

    # 2. The same weights written by h5py: vlen strings + float16.
    with h5py.File(path("tiny_vlen_f16.h5"), "w") as f:
        write_keras_tree(f, table, np.float16, "vlen")
        vlen_strings_attr(f, "backend", ["tensorflow"], scalar=True)
        vlen_strings_attr(f, "keras_version", ["2.3.1"], scalar=True)
        vlen_strings_attr(f, "cvrnet_reference_weights", ["fixture: h5py, float16, vlen strings"], scalar=True)
    expected["files"]["tiny_vlen_f16.h5"] = table_expectation(table, "weightsOnly", "2.3.1", "tensorflow", np.float16)

    # 3. Full-model layout, Keras 2.3.1 style null-padded byte strings, float64, gzip chunks,
    #    layer_names split in two as Keras does for big attributes.
    with h5py.File(path("tiny_fixed_f64.h5"), "w") as f:
        mw = f.create_group("model_weights")
        write_keras_tree(mw, table, np.float64, "nullpad", chunked=True, split_layer_names=2)
        mw.attrs["backend"] = np.bytes_(b"tensorflow")
        mw.attrs["keras_version"] = np.bytes_(b"2.3.1")
        f.attrs["keras_version"] = np.bytes_(b"2.3.1")
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["model_config"] = np.bytes_(json.dumps({"class_name": "Model", "config": {"name": "tiny"}}).encode())
        f.attrs["training_config"] = np.bytes_(b'{"loss": "categorical_crossentropy"}')
        f.attrs["epoch_count"] = np.int64(7)
    expected["files"]["tiny_fixed_f64.h5"] = table_expectation(table, "fullModel", "2.3.1", "tensorflow", np.float64)
    expected["files"]["tiny_fixed_f64.h5"]["model_config"] = json.dumps({"class_name": "Model", "config": {"name": "tiny"}})

    # 4. Space-padded and null-terminated fixed-length strings, a UTF-8 layer name, float32.
    utf8_table = [(("tête_dense" if layer == "dense_out" else layer), weights) for layer, weights in table]
    with h5py.File(path("tiny_spacepad.h5"), "w") as f:
        write_keras_tree(f, utf8_table, np.float32, "spacepad")
        fixed_strings_attr(f, "layer_names", [layer for layer, _ in utf8_table], pad="spacepad", utf8=True)
        fixed_strings_attr(f, "backend", ["tensorflow"], pad="nullterm", scalar=True)
        fixed_strings_attr(f, "keras_version", ["2.2.4"], pad="spacepad", scalar=True, min_size=12)
    expected["files"]["tiny_spacepad.h5"] = table_expectation(utf8_table, "weightsOnly", "2.2.4", "tensorflow", np.float32)

    # 5. NaN and infinity planted in a Keras tree.
    bn_gamma = table[[l for l, _ in table].index("res_bn1")][1][0][0]
    dense_bias = table[[l for l, _ in table].index("dense_out")][1][1][0]
    with h5py.File(path("nan_weights.h5"), "w") as f:
        write_keras_tree(f, table, np.float32, "nullpad",
                         bad_values={("res_bn1", bn_gamma): (2, np.nan), ("dense_out", dense_bias): (1, -np.inf)})
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["keras_version"] = np.bytes_(b"2.3.1")
    expected["files"]["nan_weights.h5"] = {"nan": ["res_bn1", bn_gamma, 2], "inf": ["dense_out", dense_bias, 1]}

    # 6. Structural damage: a layer without group, a weight without dataset, an int dataset.
    with h5py.File(path("missing_group.h5"), "w") as f:
        write_keras_tree(f, table, np.float32, "nullpad", skip_group="sep1")
    with h5py.File(path("missing_weight.h5"), "w") as f:
        write_keras_tree(f, table, np.float32, "nullpad", extra_weight=("dense_out", "dense_out/gamma:0"))
    int_table = [(layer, [(w, (v * 100).astype(np.int32) if layer == "dense_out" else v) for w, v in weights])
                 for layer, weights in table]
    with h5py.File(path("int_weights.h5"), "w") as f:
        names = [layer for layer, _ in int_table]
        fixed_strings_attr(f, "layer_names", names)
        for layer, weights in int_table:
            g = f.create_group(layer)
            if weights:
                fixed_strings_attr(g, "weight_names", [w for w, _ in weights])
            else:
                g.attrs["weight_names"] = np.asarray([])
            for w, v in weights:
                g.create_dataset(w, data=v)

    # 7. A plain HDF5 file: no Keras attributes; every string encoding; special float16 values.
    half_specials = np.array([0.0, -0.0, 1.0, -2.0, 65504.0, 6.103515625e-05, 5.960464477539063e-08,
                              0.1, 1.0 / 3.0, np.inf, -np.inf, np.nan], dtype=np.float16)
    doubles = np.array([0.1, 1.0 / 3.0, -2.5e-8, 123456789.123, 1e300, -1e300, 1e-300], dtype=np.float64)
    matrix = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    with h5py.File(path("plain.h5"), "w") as f:
        d = f.create_group("data")
        d.create_dataset("matrix", data=matrix)
        d.create_dataset("ints", data=np.arange(4, dtype=np.int32))
        d.create_dataset("half_specials", data=half_specials)
        d.create_dataset("doubles", data=doubles)
        d.create_dataset("scalar", data=np.float32(2.5))
        d.create_dataset("big_endian", data=matrix.astype(">f4"))
        d.create_dataset("empty", data=np.zeros((0, 3), dtype=np.float32))
        d.create_dataset("chunked", data=np.arange(1000, dtype=np.float32), chunks=(100,), compression="gzip")
        d.create_dataset("text", data=np.array([b"abc"]))
        d.create_group("nested").create_group("deeper")
        f["dangling"] = h5py.SoftLink("/nowhere")
        fixed_strings_attr(f, "fixed_nullpad", ["null padded"], scalar=True)
        fixed_strings_attr(f, "fixed_nullterm", ["null terminated"], pad="nullterm", scalar=True)
        fixed_strings_attr(f, "fixed_spacepad", ["space padded"], pad="spacepad", scalar=True)
        fixed_strings_attr(f, "fixed_array", ["a", "bb", "ccc"])
        fixed_strings_attr(f, "fixed_array_spacepad", ["a", "bb", "ccc"], pad="spacepad")
        vlen_strings_attr(f, "vlen_scalar", ["variable length"], scalar=True)
        vlen_strings_attr(f, "vlen_array", ["x", "yy", "zzz"])
        vlen_strings_attr(f, "vlen_utf8", ["héllo wörld ✓"], scalar=True)
        fixed_strings_attr(f, "fixed_utf8", ["ñandú"], utf8=True, scalar=True)
        vlen_strings_attr(f, "vlen_one_element", ["alone"])
        f.attrs["int_attr"] = np.int32(42)
        f.attrs["empty_float_array"] = np.asarray([])
        d.attrs["on_a_group"] = "group attribute"
        d["matrix"].attrs["on_a_dataset"] = np.bytes_(b"dataset attribute")
    expected["files"]["plain.h5"] = {
        "matrix": {"shape": [2, 3], "values": [float(x) for x in matrix.reshape(-1)]},
        "half_specials": [json_number(x) for x in half_specials.astype(np.float32)],
        "doubles": [json_number(np.float32(x) if abs(x) < 3.5e38 else np.copysign(np.inf, x)) for x in doubles],
    }

    # 8. Keras 3 layout (tf.keras 2.13+ writes it too for names ending in .weights.h5) and a
    #    .keras zip archive (deterministic: fixed timestamps).
    model.save_weights(path("keras3_layout.weights.h5"))
    with h5py.File(path("keras3_like.h5"), "w") as f:
        f.create_group("layers/dense/vars").create_dataset("0", data=np.ones((2, 2), np.float32))
        f["layers/dense/vars"].create_dataset("1", data=np.zeros(2, np.float32))
        f.create_group("vars")
    with zipfile.ZipFile(path("keras3_model.keras"), "w") as z:
        for name, text in [("metadata.json", '{"keras_version": "3.0.0"}'),
                           ("config.json", '{"class_name": "Functional"}')]:
            info = zipfile.ZipInfo(name, date_time=(2020, 7, 23, 0, 0, 0))
            z.writestr(info, text)

    # 9. Not HDF5 at all, and empty.
    with open(path("not_hdf5.txt"), "w") as f:
        f.write("This is a plain text file, not an HDF5 file.\n")
    open(path("empty.h5"), "wb").close()

    # 10. Truncated copies of tiny_weights.h5.
    data = open(path("tiny_weights.h5"), "rb").read()
    with open(path("truncated.h5"), "wb") as f:
        f.write(data[: len(data) * 6 // 10])
    # Truncated files that libhdf5 still opens (contiguous and chunked last dataset).
    for name, chunked in [("truncated_eof_patched.h5", False), ("truncated_chunked_eof_patched.h5", True)]:
        write_patched_truncation(path(name), table, chunked)
        expected["files"][name] = {"cut_layer": "big_dense", "cut_weight": "big_dense/kernel:0",
                                   "intact_layer": "dense_out"}

    with open(path("expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True, allow_nan=False)
        f.write("\n")
    total = sum(os.path.getsize(path(n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}")


if __name__ == "__main__":
    sys.exit(main())
