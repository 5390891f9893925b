"""CVR-Net exactly as the reference notebook builds it, in the Keras 2 API (tf_keras).

One Input (224, 224, 3) feeds ResNet50 and Xception (include_top=False, weights=None) built
on that same tensor. Every layer of the first model is renamed "res_<name>", every layer of
the second "xce_<name>" (the shared InputLayer therefore ends up as "xce_res_input_1", as in
the notebook). Renaming goes through `layer._name`, so the weight variables keep the names
they were created with (e.g. group "res_conv1_conv" holds "conv1_conv/kernel:0"); real
notebook files look the same.

Five heads, built head by head in this order (so auto-named layers number in creation order):
  head 1: Concatenate([ResNet output, Xception output])   7x7x4096
  head 2: ResNet stage-4 output                            14x14x1024
  head 3: ResNet stage-3 output                            28x28x512
  head 4: xce_block4_sepconv2_bn                           28x28x728
  head 5: xce_block13_sepconv2_bn                          14x14x1024
each GlobalAveragePooling2D -> Dense 512 relu -> Dense 128 relu -> Dense 64 relu ("MKH_k")
-> Dense N softmax; the output is Average() of the five softmax vectors.

Two naming schemes:
  "tfkeras"  tf_keras.applications ResNet50/Xception; ResNet BN epsilon 1.001e-5; auto-names
             as tf_keras gives them ("xce_conv2d", "xce_conv2d_1", ..., "dense", "dense_1").
  "keras231" keras_applications 1.0.8 (what Keras 2.3.1 shipped) on tf_keras; ResNet BN
             epsilon 1e-3; auto-named layers numbered from 1 as Keras 2.3.1 did
             ("res_activation_1".."res_activation_49", "xce_conv2d_1", "dense_1".."dense_15").
             The names are given when the layers are created, so the weight variables carry
             the Keras 2.3.1 names too (group "xce_conv2d_1" holds "conv2d_1/kernel:0").

Run as a script for the self-check of both schemes:
    .venv/bin/python tools/cvrnet_model.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import re  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

INPUT_SHAPE = (224, 224, 3)
NAMINGS = ("tfkeras", "keras231")
HEADS = ("head1", "head2", "head3", "head4", "head5")
TAP_SHAPES = {
    "head1": (7, 7, 4096),
    "head2": (14, 14, 1024),
    "head3": (28, 28, 512),
    "head4": (28, 28, 728),
    "head5": (14, 14, 1024),
}
# Layer whose output is the head's feature map (head 1 is the concatenation layer).
TAP_LAYERS = {
    "tfkeras": {
        "head1": "concatenate",
        "head2": "res_conv4_block6_out",
        "head3": "res_conv3_block4_out",
        "head4": "xce_block4_sepconv2_bn",
        "head5": "xce_block13_sepconv2_bn",
    },
    "keras231": {
        "head1": "concatenate_1",
        "head2": "res_activation_40",
        "head3": "res_activation_22",
        "head4": "xce_block4_sepconv2_bn",
        "head5": "xce_block13_sepconv2_bn",
    },
}
RESNET_BN_EPSILON = {"tfkeras": 1.001e-5, "keras231": 1e-3}
XCEPTION_BN_EPSILON = 1e-3
# Parameter count of the notebook's 2-class model (its model.summary()).
NOTEBOOK_PARAMS_2CLASS = 48_602_610

from cvrnet_common import fnv1a64  # noqa: E402,F401  (tools import it from here too)


def keras_version_string():
    return "tf-keras %s / tensorflow %s" % (keras.__version__, tf.__version__)


# ----------------------------------------------------------------------------------------
# Keras 2.3.1 auto-naming
# ----------------------------------------------------------------------------------------

def to_snake_case(name):
    """Keras 2.3.1's generic_utils.to_snake_case (class name -> layer name prefix)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    insecure = re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()
    if insecure[0] != "_":
        return insecure
    return "private" + insecure


class Keras231Layers:
    """Stand-in for the `layers` module: tf_keras.layers, except that every layer created
    without a name gets the name Keras 2.3.1 would have given it, "<snake_case class>_<k>"
    with k counting from 1 per prefix over the whole graph (one instance per graph)."""

    def __init__(self):
        self._counts = {}

    def next_name(self, class_name):
        prefix = to_snake_case(class_name)
        self._counts[prefix] = self._counts.get(prefix, 0) + 1
        return "%s_%d" % (prefix, self._counts[prefix])

    def __getattr__(self, attr):
        obj = getattr(keras.layers, attr)
        if (isinstance(obj, type) and issubclass(obj, keras.layers.Layer)
                and obj is not keras.layers.InputLayer):
            def make(*args, **kwargs):
                if not kwargs.get("name"):
                    kwargs["name"] = self.next_name(obj.__name__)
                return obj(*args, **kwargs)
            make.__name__ = obj.__name__
            return make
        return obj

    # The functional helpers the applications and the notebook use.
    def add(self, inputs, **kwargs):
        return self.Add(**kwargs)(inputs)

    def concatenate(self, inputs, axis=-1, **kwargs):
        return self.Concatenate(axis=axis, **kwargs)(inputs)

    def average(self, inputs, **kwargs):
        return self.Average(**kwargs)(inputs)


# ----------------------------------------------------------------------------------------
# The model
# ----------------------------------------------------------------------------------------

def _encoders(naming, inp, layers):
    if naming == "tfkeras":
        resnet = keras.applications.ResNet50(
            include_top=False, weights=None, input_tensor=inp, input_shape=INPUT_SHAPE)
        rename(resnet, "res_")
        xce = keras.applications.Xception(
            include_top=False, weights=None, input_tensor=inp, input_shape=INPUT_SHAPE)
        rename(xce, "xce_")
    elif naming == "keras231":
        import warnings

        from keras_applications import resnet50 as ka_resnet50
        from keras_applications import xception as ka_xception
        kw = dict(backend=keras.backend, layers=layers, models=keras.models, utils=keras.utils)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resnet = ka_resnet50.ResNet50(include_top=False, weights=None, input_tensor=inp,
                                          input_shape=INPUT_SHAPE, **kw)
        rename(resnet, "res_")
        xce = ka_xception.Xception(include_top=False, weights=None, input_tensor=inp,
                                   input_shape=INPUT_SHAPE, **kw)
        rename(xce, "xce_")
    else:
        raise ValueError("naming must be one of %s, not %r" % (NAMINGS, naming))
    return resnet, xce


def rename(model, prefix):
    """The notebook's `for layer in model.layers: layer.name = prefix + layer.name`."""
    for layer in model.layers:
        layer._name = prefix + layer.name


def _head(layers, feature_map, k, num_classes):
    x = layers.GlobalAveragePooling2D()(feature_map)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(64, activation="relu", name="MKH_%d" % k)(x)
    return layers.Dense(num_classes, activation="softmax")(x)


def build_cvrnet(num_classes, naming="keras231"):
    """The notebook's CVR-Net with `num_classes` outputs and the given naming scheme.
    Calls tf_keras.backend.clear_session() first so auto-names are deterministic."""
    if naming not in NAMINGS:
        raise ValueError("naming must be one of %s, not %r" % (NAMINGS, naming))
    keras.backend.clear_session()
    layers = Keras231Layers() if naming == "keras231" else keras.layers
    inp = keras.layers.Input(shape=INPUT_SHAPE)
    resnet, xce = _encoders(naming, inp, layers)
    taps = TAP_LAYERS[naming]

    outs = []
    x = layers.concatenate([resnet.output, xce.output])  # head 1, ResNet channels first
    outs.append(_head(layers, x, 1, num_classes))
    outs.append(_head(layers, resnet.get_layer(taps["head2"]).output, 2, num_classes))
    outs.append(_head(layers, resnet.get_layer(taps["head3"]).output, 3, num_classes))
    outs.append(_head(layers, xce.get_layer(taps["head4"]).output, 4, num_classes))
    outs.append(_head(layers, xce.get_layer(taps["head5"]).output, 5, num_classes))
    averaging = layers.Average()(outs)
    name = "model_1" if naming == "keras231" else None
    return keras.Model(inputs=inp, outputs=averaging, name=name)


def _inbound_layer(layer):
    nodes = layer._inbound_nodes
    assert len(nodes) == 1, "layer %s has %d inbound nodes" % (layer.name, len(nodes))
    inbound = nodes[0].inbound_layers
    if isinstance(inbound, (list, tuple)):
        assert len(inbound) == 1, layer.name
        inbound = inbound[0]
    return inbound


def head_structure(model):
    """For each head k (1..5): dict with the tap layer, the GAP, the Dense layers
    [512, 128, MKH_k, N] and the final Dense (softmax) layer, found through the graph."""
    avg = [l for l in model.layers if isinstance(l, keras.layers.Average)]
    assert len(avg) == 1, "expected one Average layer"
    avg = avg[0]
    finals = avg._inbound_nodes[0].inbound_layers
    assert len(finals) == 5
    heads = []
    for k, final in enumerate(finals, start=1):
        mkh = _inbound_layer(final)
        assert mkh.name == "MKH_%d" % k, (k, mkh.name)
        d128 = _inbound_layer(mkh)
        d512 = _inbound_layer(d128)
        gap = _inbound_layer(d512)
        assert isinstance(gap, keras.layers.GlobalAveragePooling2D), gap
        tap = _inbound_layer(gap)
        heads.append(dict(tap=tap, gap=gap, dense=[d512, d128, mkh, final], final=final))
    return heads


def build_probe_model(model):
    """Multi-output Model for golden generation: outputs are the five tap tensors
    (head 1..5) followed by the five head softmax outputs (head 1..5) and the final Average."""
    heads = head_structure(model)
    taps = [h["tap"].output for h in heads]
    probs = [h["final"].output for h in heads]
    return keras.Model(inputs=model.input, outputs=taps + probs + [model.output])


def expected_param_count(num_classes):
    return NOTEBOOK_PARAMS_2CLASS + 5 * 65 * (num_classes - 2)


# ----------------------------------------------------------------------------------------
# Input pipeline helpers (the notebook's ImageDataGenerator path)
# ----------------------------------------------------------------------------------------

def load_keras_input(path):
    """img_to_array(load_img(path, target_size=(224, 224))): PIL convert('RGB'), NEAREST
    resize, raw 0..255 float32, shape (224, 224, 3)."""
    img = keras.utils.load_img(path, target_size=INPUT_SHAPE[:2])
    arr = keras.utils.img_to_array(img)
    assert arr.dtype == np.float32 and arr.shape == INPUT_SHAPE, (arr.dtype, arr.shape)
    return arr


# ----------------------------------------------------------------------------------------
# Self-check
# ----------------------------------------------------------------------------------------

def expected_auto_names(naming):
    """Names of the auto-named layers of the whole model, per scheme."""
    if naming == "keras231":
        n = lambda base, a, b: ["%s_%d" % (base, i) for i in range(a, b + 1)]  # noqa: E731
        return set(
            ["xce_res_input_1"]
            + ["res_" + s for s in n("activation", 1, 49) + ["max_pooling2d_1"]
               + n("add", 1, 16)]
            + ["xce_" + s for s in n("conv2d", 1, 4) + n("batch_normalization", 1, 4)
               + n("add", 17, 28)]
            + ["concatenate_1"] + n("global_average_pooling2d", 1, 5) + n("dense", 1, 15)
            + ["average_1"])
    sfx = lambda base, count: [base] + ["%s_%d" % (base, i) for i in range(1, count)]  # noqa: E731
    return set(
        ["xce_res_input_1"]
        + ["xce_" + s for s in sfx("conv2d", 4) + sfx("batch_normalization", 4)
           + sfx("add", 12)]
        + ["concatenate"] + sfx("global_average_pooling2d", 5) + sfx("dense", 15)
        + ["average"])


AUTO_NAME_RE = re.compile(
    r"^(xce_|res_)*(input|activation|max_pooling2d|add|conv2d|batch_normalization|concatenate|"
    r"global_average_pooling2d|dense|average)(_\d+)?$")


def self_check(model, naming, num_classes, verbose=True):
    """Asserts the names, epsilons, shapes and parameter count; returns a dict of facts."""
    names = [l.name for l in model.layers]
    assert len(names) == len(set(names)), "duplicate layer names"
    auto = {n for n in names if AUTO_NAME_RE.match(n)}
    want = expected_auto_names(naming)
    assert auto == want, "auto-named layers differ: extra %s missing %s" % (
        sorted(auto - want)[:10], sorted(want - auto)[:10])
    unprefixed = [n for n in names if not n.startswith(("res_", "xce_"))]
    head_names = {n for n in unprefixed if not n.startswith("MKH_")}
    assert all(re.match(r"^(concatenate|global_average_pooling2d|dense|average)(_\d+)?$", n)
               for n in head_names), head_names

    heads = head_structure(model)
    facts = {"taps": {}, "heads": {}}
    for k, (head, h) in enumerate(zip(HEADS, heads), start=1):
        tap = h["tap"]
        assert tap.name == TAP_LAYERS[naming][head], (head, tap.name)
        shape = tuple(tap.output.shape[1:])
        assert shape == TAP_SHAPES[head], (head, shape)
        dense_names = [d.name for d in h["dense"]]
        units = [d.units for d in h["dense"]]
        acts = [d.activation.__name__ for d in h["dense"]]
        assert units == [512, 128, 64, num_classes], units
        assert acts == ["relu", "relu", "relu", "softmax"], acts
        if naming == "keras231":
            want_d = ["dense_%d" % (3 * k - 2), "dense_%d" % (3 * k - 1), "MKH_%d" % k,
                      "dense_%d" % (3 * k)]
        else:
            ids = [3 * (k - 1), 3 * (k - 1) + 1, None, 3 * (k - 1) + 2]
            want_d = [("dense" if i == 0 else "dense_%d" % i) if i is not None else "MKH_%d" % k
                      for i in ids]
        assert dense_names == want_d, (dense_names, want_d)
        facts["taps"][head] = tap.name
        facts["heads"][head] = [h["gap"].name] + dense_names

    # head 1 concatenation: ResNet output first, then Xception output
    concat = heads[0]["tap"]
    assert isinstance(concat, keras.layers.Concatenate)
    srcs = [l.name for l in concat._inbound_nodes[0].inbound_layers]
    want_src = (["res_activation_49", "xce_block14_sepconv2_act"] if naming == "keras231"
                else ["res_conv5_block3_out", "xce_block14_sepconv2_act"])
    assert srcs == want_src, srcs

    eps_res = {l.epsilon for l in model.layers
               if isinstance(l, keras.layers.BatchNormalization) and l.name.startswith("res_")}
    eps_xce = {l.epsilon for l in model.layers
               if isinstance(l, keras.layers.BatchNormalization) and l.name.startswith("xce_")}
    assert eps_res == {RESNET_BN_EPSILON[naming]}, eps_res
    assert eps_xce == {XCEPTION_BN_EPSILON}, eps_xce
    n_bn = sum(isinstance(l, keras.layers.BatchNormalization) for l in model.layers)
    assert n_bn == 53 + 40, n_bn

    params = model.count_params()
    assert params == expected_param_count(num_classes), params
    assert model.layers[0].name == "xce_res_input_1", model.layers[0].name

    # Weight variables keep their creation names (no prefix).
    first_conv = "res_conv1" if naming == "keras231" else "res_conv1_conv"
    wnames = [w.name for w in model.get_layer(first_conv).weights]
    xconv = "xce_conv2d_1" if naming == "keras231" else "xce_conv2d"
    facts.update(
        resnet_bn_epsilon=sorted(eps_res), xception_bn_epsilon=sorted(eps_xce), params=params,
        n_layers=len(names), n_batchnorm=n_bn, model_name=model.name,
        weight_names={first_conv: wnames,
                      xconv: [w.name for w in model.get_layer(xconv).weights],
                      facts["heads"]["head1"][1]:
                          [w.name for w in model.get_layer(facts["heads"]["head1"][1]).weights]})
    if verbose:
        print("[%s, %d classes] OK: %d layers, %d params, %d BN, ResNet eps %s, Xception eps %s,"
              " model %r" % (naming, num_classes, len(names), params, n_bn, sorted(eps_res),
                             sorted(eps_xce), model.name))
        for head in HEADS:
            print("  %s tap %-26s head layers %s" % (head, facts["taps"][head],
                                                     facts["heads"][head]))
        for lname, w in facts["weight_names"].items():
            print("  weights of %-16s %s" % (lname, w))
    return facts


def main():
    for naming in NAMINGS:
        model = build_cvrnet(2, naming)
        self_check(model, naming, 2)
        probe = build_probe_model(model)
        assert len(probe.outputs) == 11
    print("self-check passed for", ", ".join(NAMINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
