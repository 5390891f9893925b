"""Keras 3 reference files of CVR-Net and Keras 3's golden outputs on the sample images.

    .venv/bin/python tools/make_keras3_reference.py            # after make_reference_weights.py
    .venv/bin/python tools/make_keras3_reference.py --layer-table   # also rewrites the Swift table

CVR-Net is built with Keras 3 (`import keras`) the notebook's way: keras.applications ResNet50
and Xception (include_top=False, weights=None) on one Input, every layer renamed with
`layer.name = "res_" + layer.name` / `"xce_" + ...` (Keras 3 ignores `layer._name = ...`), the
five heads, Average. Keras 3 names its layers like tf.keras (`res_conv1_conv`, `xce_conv2d`,
`dense`..`dense_14`), so the weights are copied by layer name from the tf.keras reference files
that tools/make_reference_weights.py wrote (same seeded values, nothing re-drawn):

  reference-2class-keras3.weights.h5           save_weights (Keras 3.15: `vars` groups carry
                                               the layer name in attribute `name`)
  reference-2class-keras3-noattrs.weights.h5   the same file with every `name` attribute
                                               stripped: what Keras 3.0-3.5 write (derived by
                                               stripping, not written by an old Keras)
  reference-2class-keras3-compiled.weights.h5  save_weights of the model compiled with Adam,
                                               optimizer built: holds optimizer/vars too
  reference-3class-keras3.keras                model.save(".keras"): zip of metadata.json,
                                               config.json, model.weights.h5
  reference-4class-keras3-legacy.h5            model.save(".h5"), Keras 3's legacy HDF5
  (2 and 3 classes: weights of reference-2class-tfkeras-weights.hdf5 and
   reference-3class-tfkeras-model.h5; 4 classes: the 3-class weights, each head's final Dense
   given a fourth unit = the mean of units 1 and 2 of that head's 3-class Dense.)

Each file gets the project's root attributes (`cvrnet_reference_weights`, ...; in a .keras
archive on its model.weights.h5 member) and is then read back by Keras 3 itself
(load_weights into a freshly built model, or keras.saving.load_model) to compute the golden
outputs weights/golden/<stem>.json (+ .taps for two images), stem = file name minus its last
extension. Untrained seeded weights: no clinical meaning.

`--layer-table` also writes Sources/CVRNet/Layout/Keras3LayerTable.swift: CVR-Net's layers in
Keras 3 `model.layers` order with their `layers/<snake_case class>[_k]` paths, the table cvrnet
uses for .weights.h5 files without `name` attributes.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402  (Keras 3)

from cvrnet_common import ROOT, fnv1a64  # noqa: E402
WEIGHTS_DIR = os.path.join(ROOT, "weights")
GOLDEN_DIR = os.path.join(WEIGHTS_DIR, "golden")
IMAGES_DIR = os.path.join(ROOT, "Tests", "Fixtures", "sample-images")
TABLE_SWIFT = os.path.join(ROOT, "Sources", "CVRNet", "Layout", "Keras3LayerTable.swift")
GENERATOR = "tools/make_keras3_reference.py"
SEED = "11993"
REFERENCE_NOTE = ("untrained seeded reference weights made by tools/make_reference_weights.py "
                  "and tools/make_keras3_reference.py; they exercise every layer and carry no "
                  "clinical meaning")
INPUT_SHAPE = (224, 224, 3)
HEADS = ("head1", "head2", "head3", "head4", "head5")
TAP_LAYERS = {"head1": "concatenate", "head2": "res_conv4_block6_out",
              "head3": "res_conv3_block4_out", "head4": "xce_block4_sepconv2_bn",
              "head5": "xce_block13_sepconv2_bn"}
TAP_IMAGES = ["png-gray8-224x224.png", "png-rgb8-333x287.png"]

# (file, classes, source weights file, how it is written)
FILES = [
    ("reference-2class-keras3.weights.h5", 2, "reference-2class-tfkeras-weights.hdf5", "weights"),
    ("reference-2class-keras3-noattrs.weights.h5", 2, None, "weights_noattrs"),
    ("reference-2class-keras3-compiled.weights.h5", 2, "reference-2class-tfkeras-weights.hdf5",
     "weights_compiled"),
    ("reference-3class-keras3.keras", 3, "reference-3class-tfkeras-model.h5", "archive"),
    ("reference-4class-keras3-legacy.h5", 4, "reference-3class-tfkeras-model.h5", "legacy_h5"),
]


def log(*args):
    print(*args, flush=True)


def keras_version_string():
    import tensorflow as tf
    return "keras %s / tensorflow %s" % (keras.__version__, tf.__version__)


def build_cvrnet3(num_classes):
    """The notebook's CVR-Net in Keras 3 (fresh session, so auto-names are deterministic)."""
    keras.backend.clear_session()
    layers = keras.layers
    inp = keras.Input(shape=INPUT_SHAPE)
    resnet = keras.applications.ResNet50(include_top=False, weights=None, input_tensor=inp)
    for layer in resnet.layers:
        layer.name = "res_" + layer.name
    xce = keras.applications.Xception(include_top=False, weights=None, input_tensor=inp)
    for layer in xce.layers:
        layer.name = "xce_" + layer.name

    def head(x, k):
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dense(512, activation="relu")(x)
        x = layers.Dense(128, activation="relu")(x)
        x = layers.Dense(64, activation="relu", name="MKH_%d" % k)(x)
        return layers.Dense(num_classes, activation="softmax")(x)

    outs = [head(layers.concatenate([resnet.output, xce.output]), 1),
            head(resnet.get_layer("res_conv4_block6_out").output, 2),
            head(resnet.get_layer("res_conv3_block4_out").output, 3),
            head(xce.get_layer("xce_block4_sepconv2_bn").output, 4),
            head(xce.get_layer("xce_block13_sepconv2_bn").output, 5)]
    model = keras.Model(inputs=inp, outputs=layers.Average()(outs))
    check_model(model, num_classes)
    return model


def final_dense_names():
    return ["dense_%d" % (3 * k + 2) for k in range(5)]


def check_model(model, num_classes):
    names = [l.name for l in model.layers]
    assert len(names) == len(set(names)) == 333, len(names)
    for k, final in enumerate(final_dense_names(), start=1):
        layer = model.get_layer(final)
        assert layer.units == num_classes and layer.activation.__name__ == "softmax", final
    eps = {l.epsilon for l in model.layers if isinstance(l, keras.layers.BatchNormalization)
           and l.name.startswith("res_")}
    assert eps == {1.001e-5}, eps
    assert model.count_params() == 48_602_610 + 5 * 65 * (num_classes - 2), model.count_params()


def copy_weights(model, source, num_classes):
    """Sets every weighted layer from the tf.keras file `source`, by layer name."""
    with h5py.File(os.path.join(WEIGHTS_DIR, source), "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        done = 0
        for layer in model.layers:
            if not layer.weights:
                continue
            names = [n.decode() if isinstance(n, bytes) else n for n in g[layer.name].attrs["weight_names"]]
            arrays = [np.array(g[layer.name][n]) for n in names]
            if layer.name in final_dense_names() and arrays[0].shape[1] != num_classes:
                # 4 classes from the 3-class file: a fourth unit, the mean of units 1 and 2.
                assert arrays[0].shape[1] == 3 and num_classes == 4
                arrays = [np.concatenate([a, a[..., :2].mean(axis=-1, keepdims=True)], axis=-1)
                          for a in arrays]
            layer.set_weights(arrays)
            done += 1
    assert done == sum(1 for l in model.layers if l.weights)


def reference_attrs(num_classes):
    return {"cvrnet_reference_weights": REFERENCE_NOTE, "cvrnet_generator": GENERATOR,
            "cvrnet_seed": SEED, "cvrnet_naming": "tfkeras", "cvrnet_keras": keras_version_string()}


def add_attrs(h5, attrs, also=()):
    str_t = h5py.string_dtype("utf-8")
    for g in [h5] + [h5[p] for p in also]:
        for k, v in attrs.items():
            g.attrs.create(k, v, dtype=str_t)


def write_file(model, fname, kind, num_classes):
    path = os.path.join(WEIGHTS_DIR, fname)
    tmp = os.path.join(WEIGHTS_DIR, ".tmp-" + fname)
    if os.path.exists(tmp):
        os.remove(tmp)
    attrs = reference_attrs(num_classes)
    if kind in ("weights", "weights_compiled"):
        if kind == "weights_compiled":
            model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="categorical_crossentropy")
            model.optimizer.build(model.trainable_variables)
        model.save_weights(tmp)
        with h5py.File(tmp, "a") as f:
            add_attrs(f, attrs)
            if kind == "weights_compiled":
                assert "optimizer" in f and len(f["optimizer/vars"]) > 300, list(f)
    elif kind == "weights_noattrs":
        shutil.copyfile(os.path.join(WEIGHTS_DIR, FILES[0][0]), tmp)
        stripped = 0
        with h5py.File(tmp, "a") as f:
            def strip(name, obj):
                nonlocal stripped
                if isinstance(obj, h5py.Group) and "name" in obj.attrs:
                    del obj.attrs["name"]
                    stripped += 1
            f.visititems(strip)
        assert stripped == 334, stripped  # 333 layers and the model's own root vars group
    elif kind == "archive":
        model.save(tmp)
        # Put the project's attributes on the archive's weights member (members stay stored).
        with zipfile.ZipFile(tmp) as z:
            members = [(i, z.read(i.filename)) for i in z.infolist()]
        out = []
        for info, data in members:
            if info.filename == "model.weights.h5":
                bio = io.BytesIO(data)
                with h5py.File(bio, "a") as f:
                    add_attrs(f, attrs)
                data = bio.getvalue()
            out.append((info.filename, data))
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as z:
            for name, data in out:
                z.writestr(name, data)
    elif kind == "legacy_h5":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.save(tmp)
        with h5py.File(tmp, "a") as f:
            add_attrs(f, attrs, also=("model_weights",))
    else:
        raise ValueError(kind)
    os.replace(tmp, path)
    return path


def read_back(path, kind, num_classes):
    """The model as Keras 3 itself reads the file."""
    if kind.startswith("weights"):
        model = build_cvrnet3(num_classes)
        model.load_weights(path)
    else:
        keras.backend.clear_session()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = keras.saving.load_model(path, compile=False)
    check_model(model, num_classes)
    return model


def tap_stats(t):
    t64 = t.astype(np.float64)
    return {"shape": list(t.shape), "mean": float(t64.mean()), "std": float(t64.std()),
            "min": float(t64.min()), "max": float(t64.max()),
            "l2": float(np.sqrt(np.sum(t64 * t64)))}


def golden(model, fname, kind, num_classes, names, x, hashes):
    stem = os.path.splitext(fname)[0]
    probe = keras.Model(model.inputs, [model.get_layer(TAP_LAYERS[h]).output for h in HEADS]
                        + [model.get_layer(n).output for n in final_dense_names()]
                        + [model.output])
    outs = [np.asarray(o) for o in probe.predict(x, batch_size=4, verbose=0)]
    taps, heads, final = outs[:5], np.stack(outs[5:10]), outs[10]
    assert np.max(np.abs(np.mean(heads, axis=0) - final)) < 1e-6
    taps_dir = os.path.join(GOLDEN_DIR, stem + ".taps")
    if os.path.isdir(taps_dir):
        shutil.rmtree(taps_dir)
    os.makedirs(taps_dir)
    images = []
    for i, name in enumerate(names):
        taps_file = None
        if name in TAP_IMAGES:
            taps_file = os.path.join("weights", "golden", stem + ".taps", name + ".f32")
            with open(os.path.join(ROOT, taps_file), "wb") as f:
                for t in taps:
                    f.write(np.ascontiguousarray(t[i], dtype="<f4").tobytes())
        images.append({
            "image": os.path.join("Tests", "Fixtures", "sample-images", name),
            "input_fnv1a64": hashes[i],
            "input_sum": float(np.sum(x[i], dtype=np.float64)),
            "probabilities": [float(p) for p in final[i]],
            "heads": [[float(p) for p in h[i]] for h in heads],
            "taps": {hn: tap_stats(t[i]) for hn, t in zip(HEADS, taps)},
            "taps_file": taps_file,
        })
    layout = {"archive": "keras3_archive", "legacy_h5": "full_model"}.get(kind, "keras3_weights")
    doc = {"weights_file": fname, "num_classes": num_classes, "naming": "tfkeras",
           "layout": layout, "written_by": kind, "keras": keras_version_string(), "seed": SEED,
           "tap_layers": TAP_LAYERS,
           "taps_file_format": "float32 little-endian; head1..head5 taps concatenated, each "
                               "(H, W, C) row-major: head1 7x7x4096, head2 14x14x1024, head3 "
                               "28x28x512, head4 28x28x728, head5 14x14x1024",
           "images": images}
    with open(os.path.join(GOLDEN_DIR, stem + ".json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return final, heads


def keras3_paths(model):
    """`layers/<snake_case class>[_k]` of each layer, as Keras 3's saving_lib names them."""
    from keras.src.utils import naming
    used, out = {}, []
    for layer in model.layers:
        name = naming.to_snake_case(layer.__class__.__name__)
        if name in used:
            used[name] += 1
            name = "%s_%d" % (name, used[name])
        else:
            used[name] = 0
        out.append((name, layer.name, layer.__class__.__name__))
    return out


def write_layer_table(model, weights_path):
    entries = keras3_paths(model)
    with h5py.File(weights_path, "r") as f:
        groups = set(f["layers"].keys())
        assert groups == {p for p, _, _ in entries}, sorted(groups ^ {p for p, _, _ in entries})[:5]
        for p, n, _ in entries:
            assert f["layers"][p]["vars"].attrs["name"] == n, (p, n)
    lines = [
        "// Generated by tools/make_keras3_reference.py --layer-table from Keras %s; do not edit."
        % keras.__version__,
        "",
        "/// CVR-Net's layers in Keras 3 `model.layers` order (graph depth, the two encoders",
        "/// interleaved): the group Keras 3 saves each under (`layers/<path>`, `snake_case(class)`",
        "/// plus `_k` per class) and the layer's name as the notebook's Keras 3 build names it.",
        "/// Used to read `.weights.h5` files written by Keras 3.0-3.5, which keep no layer names.",
        "let keras3CVRNetLayerTable: [(path: String, name: String)] = [",
    ]
    for p, n, cls in entries:
        lines.append('    ("%s", "%s"),' % (p, n))
    lines.append("]")
    with open(TABLE_SWIFT, "w") as f:
        f.write("\n".join(lines) + "\n")
    log("wrote %s (%d layers)" % (os.path.relpath(TABLE_SWIFT, ROOT), len(entries)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--layer-table", action="store_true",
                    help="also rewrite Sources/CVRNet/Layout/Keras3LayerTable.swift")
    ap.add_argument("--only", action="append", help="write only this file name (repeatable)")
    args = ap.parse_args()
    t_start = time.time()
    keras.utils.set_random_seed(int(SEED))
    os.makedirs(GOLDEN_DIR, exist_ok=True)
    for _, _, src, _ in FILES:
        if src and not os.path.exists(os.path.join(WEIGHTS_DIR, src)):
            sys.exit("%s is missing: run tools/make_reference_weights.py first" % src)

    names = sorted(f for f in os.listdir(IMAGES_DIR) if f.lower().endswith((".png", ".jpg")))
    names = TAP_IMAGES + [n for n in names if n not in TAP_IMAGES]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Palette images with Transparency")
        x = np.stack([keras.utils.img_to_array(keras.utils.load_img(
            os.path.join(IMAGES_DIR, n), target_size=INPUT_SHAPE[:2])) for n in names])
    assert x.dtype == np.float32
    hashes = [fnv1a64(x[i]) for i in range(len(names))]
    log("inputs: %d sample images, %s" % (len(names), keras_version_string()))

    built = {}
    for fname, num_classes, source, kind in FILES:
        if args.only and fname not in args.only:
            continue
        t0 = time.time()
        if source is not None:
            key = (num_classes, source)
            if kind == "weights_compiled" or key not in built:
                model = build_cvrnet3(num_classes)
                copy_weights(model, source, num_classes)
                built[key] = model
            model = built[key]
        path = write_file(model, fname, kind, num_classes)
        if args.layer_table and kind == "weights":
            write_layer_table(model, path)
        back = read_back(path, kind, num_classes)
        final, heads = golden(back, fname, kind, num_classes, names, x, hashes)
        allp = np.concatenate([heads.reshape(-1), final.reshape(-1)])
        log("%s: %.1f MB, probabilities %.4f..%.4f, %.1f s" % (
            fname, os.path.getsize(path) / 1e6, allp.min(), allp.max(), time.time() - t0))
        del back
    log("done in %.1f s" % (time.time() - t_start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
