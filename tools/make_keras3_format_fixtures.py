"""Small Keras 3 files for Tests/KerasFormatTests (Keras 3 layouts and their bad variants).

    .venv/bin/python tools/make_keras3_format_fixtures.py

Writes Tests/Fixtures/keras3/ (see the README there). The model is tiny and seeded: input
6x6x3 -> Conv2D(4, 3) "res_conv1" -> BatchNormalization "res_bn1" -> ReLU -> Conv2D(4, 1,
no bias) -> SeparableConv2D(5, 3, same) -> GlobalAveragePooling2D -> Dense(6) "dense_a" ->
Dense(3, softmax) "dense_b", built with Keras 3 (`import keras`). expected.json records, from
Keras itself, each layer's `layers/...` group and name in `model.layers` order and the values
of every weight (`layer.get_weights()`).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import warnings  # noqa: E402
import zipfile  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import keras  # noqa: E402

from cvrnet_common import ROOT  # noqa: E402
OUT = os.path.join(ROOT, "Tests", "Fixtures", "keras3")


def build(extra_dense=False):
    keras.backend.clear_session()
    keras.utils.set_random_seed(7)
    L = keras.layers
    inp = keras.Input((6, 6, 3))
    x = L.Conv2D(4, 3, name="conv1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU()(x)
    x = L.Conv2D(4, 1, use_bias=False)(x)
    x = L.SeparableConv2D(5, 3, padding="same")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(6, name="dense_a")(x)
    if extra_dense:
        x = L.Dense(6, name="dense_extra")(x)
    out = L.Dense(3, activation="softmax", name="dense_b")(x)
    model = keras.Model(inp, out)
    # As the CVR-Net notebook renames its encoders' layers (Keras 3: layer.name).
    model.get_layer("conv1").name = "res_conv1"
    model.get_layer("bn1").name = "res_bn1"
    rng = np.random.default_rng(11)
    for layer in model.layers:
        ws = layer.get_weights()
        if ws:
            new = [rng.normal(size=w.shape).astype("float32") for w in ws]
            if isinstance(layer, L.BatchNormalization):
                new[3] = np.abs(new[3]) + 0.5
            layer.set_weights(new)
    return model


def group_paths(model):
    from keras.src.utils import naming
    used, out = {}, []
    for layer in model.layers:
        n = naming.to_snake_case(layer.__class__.__name__)
        if n in used:
            used[n] += 1
            n = "%s_%d" % (n, used[n])
        else:
            used[n] = 0
        out.append([n, layer.name])
    return out


def rezip(src, dst, replace=None, drop=(), compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(dst, "w", compression=compression) as z:
        for name, data in members:
            if name in drop:
                continue
            z.writestr(name, (replace or {}).get(name, data))


def main():
    if os.path.isdir(OUT):
        for f in os.listdir(OUT):
            if f != "README.md":
                os.remove(os.path.join(OUT, f))
    os.makedirs(OUT, exist_ok=True)
    p = lambda name: os.path.join(OUT, name)  # noqa: E731
    model = build()

    model.save_weights(p("tiny.weights.h5"))
    model.save(p("tiny.keras"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(p("tiny-legacy.h5"))
    shutil.copyfile(p("tiny.weights.h5"), p("tiny-noattrs.weights.h5"))
    with h5py.File(p("tiny-noattrs.weights.h5"), "a") as f:
        f.visititems(lambda n, o: o.attrs.__delitem__("name") if "name" in o.attrs else None)
    model.compile(optimizer=keras.optimizers.Adam(), loss="categorical_crossentropy")
    model.optimizer.build(model.trainable_variables)
    model.save_weights(p("tiny-compiled.weights.h5"))

    # Bad variants.
    data = open(p("tiny.keras"), "rb").read()
    open(p("truncated.keras"), "wb").write(data[: int(len(data) * 0.6)])
    open(p("not-a-zip.keras"), "w").write("this is not a Keras archive\n")
    rezip(p("tiny.keras"), p("no-config.keras"), drop=("config.json",))
    rezip(p("tiny.keras"), p("no-weights.keras"), drop=("model.weights.h5",))
    rezip(p("tiny.keras"), p("config-not-json.keras"), replace={"config.json": b"{not json"})
    rezip(p("tiny.keras"), p("weights-not-hdf5.keras"), replace={"model.weights.h5": b"plain text, not HDF5"})
    rezip(p("tiny.keras"), p("deflated.keras"), compression=zipfile.ZIP_DEFLATED)
    other = build(extra_dense=True)
    other.save(p("other.tmp.keras"))
    with zipfile.ZipFile(p("other.tmp.keras")) as z:
        other_config = z.read("config.json")
    os.remove(p("other.tmp.keras"))
    rezip(p("tiny.keras"), p("config-mismatch.keras"), replace={"config.json": other_config})
    # A flipped byte inside the stored weights member: the zip's CRC-32 no longer matches.
    with zipfile.ZipFile(p("tiny.keras")) as z:
        info = z.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    corrupt = bytearray(data)
    corrupt[start + info.file_size - 100] ^= 0xFF
    open(p("crc-mismatch.keras"), "wb").write(bytes(corrupt))
    # Counters that do not match the layer table: a group renamed.
    shutil.copyfile(p("tiny-noattrs.weights.h5"), p("renamed-group.weights.h5"))
    with h5py.File(p("renamed-group.weights.h5"), "a") as f:
        f.move("layers/dense_1", "layers/dense_7")
    # Only some vars groups named.
    shutil.copyfile(p("tiny.weights.h5"), p("partial-names.weights.h5"))
    with h5py.File(p("partial-names.weights.h5"), "a") as f:
        del f["layers/dense/vars"].attrs["name"]

    expected = {
        "keras_version": keras.__version__,
        "layers": group_paths(model),
        "weights": {l.name: [{"shape": list(w.shape), "values": [float(v) for v in w.reshape(-1)]}
                             for w in l.get_weights()] for l in model.layers if l.weights},
    }
    with open(p("expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    for f in sorted(os.listdir(OUT)):
        print("%-32s %7d bytes" % (f, os.path.getsize(os.path.join(OUT, f))))


if __name__ == "__main__":
    main()
