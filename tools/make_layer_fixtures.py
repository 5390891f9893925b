"""Writes one tiny Keras model per layer kind and configuration to Tests/Fixtures/layers/.

    .venv/bin/python tools/make_layer_fixtures.py

Each <name>.h5 is what tf_keras `model.save_weights(path, save_format="h5")` writes for a
model holding the tested layer, plus (added with h5py afterwards) a group /fixture with
  datasets  input (float32, NHWC or (N, features), with batch dimension), or input_0 and
            input_1 for two-input layers; output (float32, Keras's output, training=False)
  attributes layer_class (e.g. "Conv2D"; "Conv2D+BatchNormalization" for the folding case),
            layer_name (the tested layer's name in the file), config (JSON of
            layer.get_config()), layers (JSON list of {"class", "name", "config"} for every
            layer of the model in order), description (one line of text).
Inputs and weights are seeded random values; BatchNorm statistics are random too (gamma,
beta, mean, positive variance; some variances below the epsilon so that it matters).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

from cvrnet_common import ROOT  # noqa: E402
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "layers")
SEED = 20071199
MAX_TOTAL_BYTES = 5_000_000
L = keras.layers


def rng_for(name, what):
    return np.random.default_rng((SEED * 7919 + zlib.crc32(("%s:%s" % (name, what)).encode()))
                                 % (2 ** 32))


def randomise(layer, rng, small_variance=False):
    """Seeded values for every weight of `layer`."""
    out = []
    for w in layer.weights:
        kind = w.name.split("/")[-1].split(":")[0]
        shape = tuple(w.shape)
        if kind in ("kernel", "depthwise_kernel", "pointwise_kernel"):
            fan_in = int(np.prod(shape[:-1])) if kind != "depthwise_kernel" else int(
                np.prod(shape[:2]))
            out.append(rng.normal(0.0, 1.0 / np.sqrt(max(fan_in, 1)), size=shape))
        elif kind == "bias":
            out.append(rng.normal(0.0, 0.5, size=shape))
        elif kind == "gamma":
            out.append(rng.uniform(0.5, 1.5, size=shape))
        elif kind == "beta":
            out.append(rng.normal(0.0, 0.3, size=shape))
        elif kind == "moving_mean":
            out.append(rng.normal(0.0, 0.5, size=shape))
        elif kind == "moving_variance":
            v = rng.uniform(0.1, 2.0, size=shape)
            if small_variance:  # every other channel far below / near the epsilon
                v[::2] = 10.0 ** rng.uniform(-5.5, -2.5, size=v[::2].shape)
            out.append(v)
        else:
            raise ValueError(w.name)
    layer.set_weights([a.astype(np.float32) for a in out])


FIXTURES = []


def fixture(name, description, build, input_shapes, batch=1, small_variance=False,
            negative=False, tested=0):
    """build(inputs) -> (outputs, [layers]); the layer at index `tested` is the one recorded."""
    FIXTURES.append(dict(name=name, description=description, build=build,
                         input_shapes=input_shapes, batch=batch, small_variance=small_variance,
                         negative=negative, tested=tested))


def single(make):
    def build(inputs):
        layer = make()
        return layer(inputs[0]), [layer]
    return build


def chain(*makers):
    def build(inputs):
        x = inputs[0]
        layers = []
        for make in makers:
            layer = make()
            x = layer(x)
            layers.append(layer)
        return x, layers
    return build


def pair(make):
    def build(inputs):
        layer = make()
        return layer(list(inputs)), [layer]
    return build


def define():
    # ---------------- Conv2D ----------------
    convs = [
        # name, kernel, stride, padding, bias, in (h, w, c), filters, batch, note
        ("conv2d_1x1_s1_valid_bias_9x9x5_to7", 1, 1, "valid", True, (9, 9, 5), 7, 1,
         "1x1 stride 1 valid with bias (bottleneck conv)"),
        ("conv2d_1x1_s2_valid_bias_9x9x8_to13", 1, 2, "valid", True, (9, 9, 8), 13, 1,
         "1x1 stride 2 valid with bias on an odd size (ResNet v1 down-sampling conv)"),
        ("conv2d_1x1_s2_same_nobias_8x8x6_to12", 1, 2, "same", False, (8, 8, 6), 12, 2,
         "1x1 stride 2 same without bias on an even size (Xception residual projection)"),
        ("conv2d_1x1_s2_same_nobias_7x7x5_to9", 1, 2, "same", False, (7, 7, 5), 9, 1,
         "1x1 stride 2 same without bias on an odd size"),
        ("conv2d_3x3_s1_same_bias_7x7x3_to5", 3, 1, "same", True, (7, 7, 3), 5, 1,
         "3x3 stride 1 same with bias, odd size"),
        ("conv2d_3x3_s1_same_bias_8x6x6_to10", 3, 1, "same", True, (8, 6, 6), 10, 2,
         "3x3 stride 1 same with bias, even non-square size"),
        ("conv2d_3x3_s1_valid_nobias_11x11x5_to6", 3, 1, "valid", False, (11, 11, 5), 6, 1,
         "3x3 stride 1 valid without bias (Xception block1_conv2)"),
        ("conv2d_3x3_s2_valid_nobias_13x13x3_to8", 3, 2, "valid", False, (13, 13, 3), 8, 1,
         "3x3 stride 2 valid without bias, odd size (Xception block1_conv1)"),
        ("conv2d_3x3_s2_valid_nobias_12x12x3_to8", 3, 2, "valid", False, (12, 12, 3), 8, 1,
         "3x3 stride 2 valid without bias, even size"),
        ("conv2d_3x3_s2_same_bias_10x10x4_to6", 3, 2, "same", True, (10, 10, 4), 6, 1,
         "3x3 stride 2 same, even size: TF pads 0 before, 1 after (asymmetric)"),
        ("conv2d_3x3_s2_same_bias_9x9x4_to6", 3, 2, "same", True, (9, 9, 4), 6, 1,
         "3x3 stride 2 same, odd size: TF pads 1 before, 1 after"),
        ("conv2d_3x3_s2_same_nobias_10x7x5_to3", 3, 2, "same", False, (10, 7, 5), 3, 2,
         "3x3 stride 2 same, even height / odd width (asymmetric in one direction only)"),
        ("conv2d_7x7_s2_valid_bias_16x16x3_to8", 7, 2, "valid", True, (16, 16, 3), 8, 1,
         "7x7 stride 2 valid with bias (ResNet stem after ZeroPadding 3)"),
        ("conv2d_7x7_s2_valid_bias_15x17x3_to5", 7, 2, "valid", True, (15, 17, 3), 5, 1,
         "7x7 stride 2 valid with bias, odd non-square size"),
        ("conv2d_7x7_s2_same_bias_16x16x3_to4", 7, 2, "same", True, (16, 16, 3), 4, 1,
         "7x7 stride 2 same on an even size: TF pads 2 before, 3 after"),
        ("conv2d_7x7_s1_same_nobias_9x9x2_to3", 7, 1, "same", False, (9, 9, 2), 3, 1,
         "7x7 stride 1 same without bias"),
    ]
    for name, k, s, pad, bias, shape, filters, batch, note in convs:
        fixture(name, "Conv2D %s" % note,
                single(lambda k=k, s=s, pad=pad, bias=bias, filters=filters, name=name:
                       L.Conv2D(filters, (k, k), strides=(s, s), padding=pad, use_bias=bias,
                                name=name)),
                [shape], batch=batch)

    # ---------------- BatchNormalization ----------------
    fixture("batchnorm_eps1e-3_5x6x7", "BatchNormalization epsilon 1e-3 (Keras default, "
            "Xception and Keras 2.3.1 ResNet50); half the variances near/below epsilon",
            single(lambda: L.BatchNormalization(epsilon=1e-3, name="batchnorm_eps1e_3")),
            [(5, 6, 7)], batch=2, small_variance=True)
    fixture("batchnorm_eps1p001e-5_4x4x9", "BatchNormalization epsilon 1.001e-5 (tf.keras "
            "ResNet50); half the variances near/below epsilon",
            single(lambda: L.BatchNormalization(epsilon=1.001e-5, name="batchnorm_eps1_001e_5")),
            [(4, 4, 9)], small_variance=True)
    fixture("batchnorm_eps1e-3_plain_3x5x4", "BatchNormalization epsilon 1e-3, ordinary "
            "variances 0.1..2",
            single(lambda: L.BatchNormalization(epsilon=1e-3, name="batchnorm_plain")),
            [(3, 5, 4)])

    # ---------------- Conv2D + BatchNormalization (folding) ----------------
    fixture("conv2d_bn_3x3_same_bias_eps1p001e-5_8x8x5_to6",
            "Conv2D 3x3 same with bias -> BatchNormalization epsilon 1.001e-5 (tf.keras "
            "ResNet50 conv + bn), output of the pair",
            chain(lambda: L.Conv2D(6, (3, 3), padding="same", name="conv_a"),
                  lambda: L.BatchNormalization(epsilon=1.001e-5, name="bn_a")),
            [(8, 8, 5)], small_variance=True)
    fixture("conv2d_bn_1x1_s2_same_nobias_eps1e-3_8x8x4_to7",
            "Conv2D 1x1 stride 2 same without bias -> BatchNormalization epsilon 1e-3 (Xception "
            "residual projection), output of the pair",
            chain(lambda: L.Conv2D(7, (1, 1), strides=(2, 2), padding="same", use_bias=False,
                                   name="conv_b"),
                  lambda: L.BatchNormalization(epsilon=1e-3, name="bn_b")),
            [(8, 8, 4)], batch=2, small_variance=True)
    fixture("conv2d_bn_7x7_s2_valid_bias_eps1e-3_15x15x3_to5",
            "Conv2D 7x7 stride 2 valid with bias -> BatchNormalization epsilon 1e-3 (Keras "
            "2.3.1 ResNet50 stem conv1 + bn_conv1), output of the pair",
            chain(lambda: L.Conv2D(5, (7, 7), strides=(2, 2), name="conv_c"),
                  lambda: L.BatchNormalization(epsilon=1e-3, name="bn_c")),
            [(15, 15, 3)])

    # ---------------- Activation relu ----------------
    fixture("relu_5x5x6", "Activation('relu')", single(lambda: L.Activation("relu",
                                                                             name="relu")),
            [(5, 5, 6)], batch=2)

    # ---------------- ZeroPadding2D ----------------
    fixture("zeropadding_1_5x6x3", "ZeroPadding2D padding 1 (ResNet pool1_pad)",
            single(lambda: L.ZeroPadding2D(padding=(1, 1), name="zeropad_1")), [(5, 6, 3)])
    fixture("zeropadding_3_7x7x2", "ZeroPadding2D padding 3 (ResNet conv1_pad)",
            single(lambda: L.ZeroPadding2D(padding=(3, 3), name="zeropad_3")), [(7, 7, 2)],
            batch=2)

    # ---------------- MaxPooling2D ----------------
    pools = [
        ("maxpool_3x3_s2_valid_9x9x4", "valid", (9, 9, 4), False,
         "valid, odd size (ResNet pool after ZeroPadding 1)"),
        ("maxpool_3x3_s2_valid_10x10x3", "valid", (10, 10, 3), False, "valid, even size"),
        ("maxpool_3x3_s2_same_9x9x4", "same", (9, 9, 4), False,
         "same, odd size (pads 1 before, 1 after)"),
        ("maxpool_3x3_s2_same_10x10x3", "same", (10, 10, 3), False,
         "same, even size (pads 0 before, 1 after; Xception block pools)"),
        ("maxpool_3x3_s2_same_10x7x5_negative", "same", (10, 7, 5), True,
         "same, even height / odd width, all inputs negative: padded cells must never win"),
    ]
    for name, pad, shape, neg, note in pools:
        fixture(name, "MaxPooling2D 3x3 stride 2 %s" % note,
                single(lambda pad=pad, name=name: L.MaxPooling2D((3, 3), strides=(2, 2),
                                                                 padding=pad, name=name)),
                [shape], negative=neg, batch=2 if neg else 1)

    # ---------------- SeparableConv2D ----------------
    seps = [
        ("sepconv_3x3_same_nobias_7x7x5_to9", False, (7, 7, 5), 9, 1, "odd size, no bias"),
        ("sepconv_3x3_same_nobias_8x8x4_to6", False, (8, 8, 4), 6, 2, "even size, no bias"),
        ("sepconv_3x3_same_bias_5x6x3_to7", True, (5, 6, 3), 7, 1, "with bias, non-square"),
    ]
    for name, bias, shape, filters, batch, note in seps:
        fixture(name, "SeparableConv2D 3x3 same stride 1 (depth multiplier 1) %s" % note,
                single(lambda bias=bias, filters=filters, name=name:
                       L.SeparableConv2D(filters, (3, 3), padding="same", use_bias=bias,
                                         name=name)),
                [shape], batch=batch)

    # ---------------- Merges ----------------
    fixture("add_4x4x6", "Add of two tensors", pair(lambda: L.Add(name="add")),
            [(4, 4, 6), (4, 4, 6)], batch=2)
    fixture("concatenate_4x4x3_4x4x5", "Concatenate on the channel axis (first input first)",
            pair(lambda: L.Concatenate(name="concatenate")), [(4, 4, 3), (4, 4, 5)])
    fixture("average_2x4", "Average of two (N, 4) vectors (CVR-Net averages 5 softmaxes)",
            pair(lambda: L.Average(name="average")), [(4,), (4,)], batch=2)

    # ---------------- Pooling / dense ----------------
    fixture("global_average_pooling_5x7x9", "GlobalAveragePooling2D",
            single(lambda: L.GlobalAveragePooling2D(name="gap")), [(5, 7, 9)], batch=2)
    fixture("dense_relu_13_to7", "Dense 7 units relu",
            single(lambda: L.Dense(7, activation="relu", name="dense_relu")), [(13,)], batch=2)
    fixture("dense_linear_10_to5", "Dense 5 units linear",
            single(lambda: L.Dense(5, name="dense_linear")), [(10,)])
    fixture("dense_softmax_9_to3", "Dense 3 units softmax (a CVR-Net head's last layer)",
            single(lambda: L.Dense(3, activation="softmax", name="dense_softmax")), [(9,)],
            batch=2)
    fixture("softmax_layer_6", "Softmax layer (axis -1)",
            single(lambda: L.Softmax(name="softmax")), [(6,)], batch=2)


def make(fx):
    keras.backend.clear_session()
    name = fx["name"]
    inputs = [L.Input(shape=s, name="input_%d" % i if len(fx["input_shapes"]) > 1 else "input")
              for i, s in enumerate(fx["input_shapes"])]
    out, layers = fx["build"](inputs)
    model = keras.Model(inputs if len(inputs) > 1 else inputs[0], out, name=name.replace(
        ".", "_").replace("-", "_"))
    for i, layer in enumerate(layers):
        if layer.weights:
            randomise(layer, rng_for(name, "weights%d" % i), fx["small_variance"])
    rng = rng_for(name, "input")
    xs = []
    for s in fx["input_shapes"]:
        x = rng.normal(0.0, 1.0, size=(fx["batch"],) + tuple(s)).astype(np.float32)
        if fx["negative"]:
            x = -np.abs(x) - 0.25
        xs.append(x)
    y = model(xs if len(xs) > 1 else xs[0], training=False)
    y = np.asarray(y, dtype=np.float32)

    path = os.path.join(OUT_DIR, name + ".h5")
    if os.path.exists(path):
        os.remove(path)
    model.save_weights(path, save_format="h5")
    tested = layers[fx["tested"]]
    layer_class = "+".join(l.__class__.__name__ for l in layers) if len(layers) > 1 \
        else tested.__class__.__name__
    str_t = h5py.string_dtype("utf-8")
    with h5py.File(path, "a") as f:
        g = f.create_group("fixture")
        if len(xs) == 1:
            g.create_dataset("input", data=xs[0])
        else:
            for i, x in enumerate(xs):
                g.create_dataset("input_%d" % i, data=x)
        g.create_dataset("output", data=y)
        g.attrs.create("layer_class", layer_class, dtype=str_t)
        g.attrs.create("layer_name", tested.name, dtype=str_t)
        g.attrs.create("config", json.dumps(tested.get_config(), sort_keys=True), dtype=str_t)
        g.attrs.create("layers", json.dumps([{"class": l.__class__.__name__, "name": l.name,
                                              "config": l.get_config()} for l in layers],
                                            sort_keys=True), dtype=str_t)
        g.attrs.create("description", fx["description"], dtype=str_t)
    check(path, model, xs, y, layers, layer_class)
    return dict(name=name, layer_class=layer_class, layer_name=tested.name,
                inputs=[list(x.shape) for x in xs], output=list(y.shape),
                description=fx["description"], bytes=os.path.getsize(path))


def check(path, model, xs, y, layers, layer_class):
    """Reads the file back: weights reload into a fresh copy of the model and reproduce y."""
    with h5py.File(path, "r") as f:
        g = f["fixture"]
        assert g.attrs["layer_class"] == layer_class
        names = [n.decode() if isinstance(n, bytes) else n for n in f.attrs["layer_names"]]
        for l in layers:
            assert l.name in names, (l.name, names)
        if "input" in g:
            assert np.array_equal(g["input"][()], xs[0])
        assert g["output"].dtype == np.float32 and np.array_equal(g["output"][()], y)
    clone = keras.models.clone_model(model)
    clone.load_weights(path)
    y2 = np.asarray(clone(xs if len(xs) > 1 else xs[0], training=False))
    assert np.array_equal(y, y2), path
    # Every layer's output must depend on its input and not be trivial.
    assert np.isfinite(y).all() and y.std() > 1e-3, path


def readme(rows):
    lines = [
        "# Layer fixtures",
        "",
        "One tiny Keras model per layer kind and configuration, made with tf_keras (Keras 2",
        "API) by `tools/make_layer_fixtures.py`. Inputs and weights are seeded random values.",
        "Regenerate:",
        "",
        "    .venv/bin/python tools/make_layer_fixtures.py",
        "",
        "## File format",
        "",
        "Each `<name>.h5` is exactly what `model.save_weights(path, save_format=\"h5\")` writes",
        "(root attributes `layer_names`, `backend`, `keras_version`; one group per layer with",
        "attribute `weight_names` and datasets such as `<layer>/<layer>/kernel:0`), plus a group",
        "`/fixture` added afterwards with h5py:",
        "",
        "| item | kind | content |",
        "|---|---|---|",
        "| `input` | float32 dataset | the input Keras was given, with batch dimension: NHWC "
        "(N, H, W, C) or (N, features) |",
        "| `input_0`, `input_1` | float32 datasets | instead of `input` for two-input layers "
        "(Add, Concatenate, Average), in call order |",
        "| `output` | float32 dataset | Keras's output, `model(x, training=False)` |",
        "| `layer_class` | string attribute | Keras class name of the tested layer, e.g. "
        "`Conv2D`; `Conv2D+BatchNormalization` for the two-layer folding fixtures |",
        "| `layer_name` | string attribute | the tested layer's name in the file (the Conv2D "
        "for the folding fixtures) |",
        "| `config` | string attribute | JSON of the tested layer's `get_config()` |",
        "| `layers` | string attribute | JSON list of `{\"class\", \"name\", \"config\"}` for "
        "every layer of the model, in order (the folding fixtures list the Conv2D and the "
        "BatchNormalization) |",
        "| `description` | string attribute | one line of text |",
        "",
        "The `/fixture` string attributes are variable-length UTF-8. Keras's own attributes",
        "(`layer_names`, `weight_names`, `backend`, `keras_version`) are as tf_keras 2.21",
        "writes them: variable-length strings (Keras 2.3.1 wrote fixed-length ones); a layer",
        "without weights (e.g. the `input` group) has an empty float64 `weight_names`; tf_keras",
        "also writes an empty group `top_level_model_weights`.",
        "",
        "Weights: kernels ~ N(0, 1/fan_in), biases ~ N(0, 0.5); BatchNormalization",
        "gamma ~ U(0.5, 1.5), beta ~ N(0, 0.3), moving_mean ~ N(0, 0.5), moving_variance ~",
        "U(0.1, 2) except in the fixtures marked \"near/below epsilon\", where every other",
        "channel has a variance between 10^-5.5 and 10^-2.5 so that the epsilon matters.",
        "Inputs ~ N(0, 1) (the negative max-pooling fixture uses -|N(0, 1)| - 0.25).",
        "",
        "TensorFlow 'same' padding: total padding = max((ceil(n/s) - 1) * s + k - n, 0), the",
        "smaller half before, the larger half after (bottom/right).",
        "",
        "## Fixtures",
        "",
        "| file | layer_class | layer_name | input shape(s) | output shape | what it covers |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append("| `%s.h5` | %s | `%s` | %s | %s | %s |" % (
            r["name"], r["layer_class"], r["layer_name"],
            " + ".join("(%s)" % ", ".join(map(str, s)) for s in r["inputs"]),
            "(%s)" % ", ".join(map(str, r["output"])), r["description"]))
    lines.append("")
    return "\n".join(lines)


def main():
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")
    os.makedirs(OUT_DIR, exist_ok=True)
    define()
    names = {fx["name"] + ".h5" for fx in FIXTURES}
    assert len(names) == len(FIXTURES), "duplicate fixture names"
    for f in os.listdir(OUT_DIR):
        if f.endswith(".h5") and f not in names:
            os.remove(os.path.join(OUT_DIR, f))
    rows = []
    for fx in FIXTURES:
        r = make(fx)
        rows.append(r)
        print("%-52s %-28s in %-28s out %-16s %6d bytes" % (
            r["name"], r["layer_class"], r["inputs"], r["output"], r["bytes"]))
    total = sum(r["bytes"] for r in rows)
    assert total < MAX_TOTAL_BYTES, total
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(readme(sorted(rows, key=lambda r: r["name"])))
    print("%d fixtures, %d bytes" % (len(rows), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
