"""Writes the project's untrained reference weights for CVR-Net and their Keras golden outputs.

    .venv/bin/python tools/make_reference_weights.py

Files (in weights/, git-ignored):
  reference-2class-keras231-weights.hdf5  2 classes, Keras 2.3.1 names, model.save_weights (the
                                          project default: what the notebook's
                                          ModelCheckpoint(save_weights_only=True) wrote)
  reference-2class-tfkeras-weights.hdf5   2 classes, tf.keras names, model.save_weights
  reference-3class-tfkeras-model.h5       3 classes, tf.keras names, full model.save(h5)
  reference-4class-keras231-model.h5      4 classes, Keras 2.3.1 names, full model.save(h5)
and weights/golden/<stem>.json (+ <stem>.taps/<image>.f32 for the first two images).

The weights are seeded random weights in the real architecture, not a trained model:
  - conv / dense kernels from each layer's own Keras initialiser, seeded per layer;
  - nonzero random biases wherever a layer has one;
  - BatchNorm gamma ~ U(0.5, 1.5), beta ~ U(-0.1, 0.1); moving_mean / moving_variance
    calibrated in topological order on the statistics of the BN's input over the sample images
    (inference mode, upstream layers already calibrated);
  - each head's final Dense scaled and offset so that its logits vary across the sample
    images without saturating (every probability of every head and of the output within
    [0.01, 0.99]) and the five heads disagree.
The encoders are calibrated once per naming scheme and shared by that scheme's class counts.
They carry no clinical meaning.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvrnet_model as cm  # noqa: E402

keras = cm.keras

from cvrnet_common import ROOT  # noqa: E402
WEIGHTS_DIR = os.path.join(ROOT, "weights")
GOLDEN_DIR = os.path.join(WEIGHTS_DIR, "golden")
IMAGES_DIR = os.path.join(ROOT, "Tests", "Fixtures", "sample-images")
GENERATOR = "tools/make_reference_weights.py"
SEED = 11993
REFERENCE_NOTE = ("untrained seeded reference weights made by tools/make_reference_weights.py; "
                  "they exercise every layer and carry no clinical meaning")

# (file name, classes, naming, layout)
FILES = [
    ("reference-2class-keras231-weights.hdf5", 2, "keras231", "weights_only"),
    ("reference-2class-tfkeras-weights.hdf5", 2, "tfkeras", "weights_only"),
    ("reference-3class-tfkeras-model.h5", 3, "tfkeras", "full_model"),
    ("reference-4class-keras231-model.h5", 4, "keras231", "full_model"),
]
# Images whose raw taps are written (first in the golden list): one needs no resize, one is
# RGB with channels that differ and is resized.
TAP_IMAGES = ["png-gray8-224x224.png", "png-rgb8-333x287.png"]

PROB_MIN, PROB_MAX = 0.01, 0.99
MIN_OUTPUT_MARGIN = 0.01  # top-1 minus top-2 of the final output, every image
MIN_HEAD_MARGIN = 0.002   # the same for every head
LOGIT_SPREAD = 2.0      # largest |logit - median logit| over the images, per head


def log(*args):
    print(*args, flush=True)


def layer_seed(*parts):
    key = ":".join(str(p) for p in parts).encode()
    return (SEED * 1_000_003 + zlib.crc32(key)) % (2 ** 31 - 1)


# ----------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------

def sample_images():
    names = sorted(f for f in os.listdir(IMAGES_DIR) if f.lower().endswith((".png", ".jpg")))
    assert all(t in names for t in TAP_IMAGES), "sample images missing; run make_sample_images"
    return TAP_IMAGES + [n for n in names if n not in TAP_IMAGES]


def load_inputs(names):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Palette images with Transparency")
        return np.stack([cm.load_keras_input(os.path.join(IMAGES_DIR, n)) for n in names])


# ----------------------------------------------------------------------------------------
# Initialisation
# ----------------------------------------------------------------------------------------

def _seeded_initializer(init, seed):
    cfg = init.get_config()
    cfg["seed"] = seed
    return init.__class__.from_config(cfg)


def init_layer(layer, key):
    """Seeded, non-degenerate values for one layer's weights (BN statistics left for the
    calibration). Returns the list of arrays in layer.weights order."""
    rng = np.random.default_rng(layer_seed(key, layer.name))
    out = []
    for w in layer.weights:
        kind = w.name.split("/")[-1].split(":")[0]
        shape = tuple(w.shape)
        if kind in ("kernel", "depthwise_kernel", "pointwise_kernel"):
            attr = {"kernel": "kernel_initializer", "depthwise_kernel": "depthwise_initializer",
                    "pointwise_kernel": "pointwise_initializer"}[kind]
            init = _seeded_initializer(getattr(layer, attr), layer_seed(key, layer.name, kind))
            out.append(np.asarray(init(shape, dtype="float32")))
        elif kind == "bias":
            out.append(rng.uniform(-0.05, 0.05, size=shape).astype(np.float32))
        elif kind == "gamma":
            out.append(rng.uniform(0.5, 1.5, size=shape).astype(np.float32))
        elif kind == "beta":
            out.append(rng.uniform(-0.1, 0.1, size=shape).astype(np.float32))
        elif kind == "moving_mean":
            out.append(np.zeros(shape, np.float32))
        elif kind == "moving_variance":
            out.append(np.ones(shape, np.float32))
        else:
            raise ValueError("unexpected weight %s in %s" % (w.name, layer.name))
    return out


def is_encoder_layer(layer):
    return layer.name.startswith(("res_", "xce_"))


# ----------------------------------------------------------------------------------------
# Calibration: one pass over the graph in topological order
# ----------------------------------------------------------------------------------------

def _node_args(layer):
    nodes = layer._inbound_nodes
    assert len(nodes) == 1, (layer.name, len(nodes))
    return nodes[0].call_args[0]


def calibrate_encoders(model, x, naming):
    """Calibrates every BN's moving statistics on its input over the images x, layer by layer
    in topological order. Returns the GAP features of the five heads (list of (n, C))."""
    values = {}
    consumers = {}
    order = [l for l in model.layers if not isinstance(l, keras.layers.InputLayer)]
    for layer in order:
        for t in tf.nest.flatten(_node_args(layer)):
            src = t._keras_history.layer.name
            consumers[src] = consumers.get(src, 0) + 1
    values[model.layers[0].name] = tf.constant(x)
    heads = cm.head_structure(model)
    gap_names = [h["gap"].name for h in heads]
    gaps = {}
    bn_report = []
    for layer in order:
        if not (is_encoder_layer(layer) or layer.name in gap_names
                or isinstance(layer, keras.layers.Concatenate)):
            continue
        args = tf.nest.map_structure(lambda t: values[t._keras_history.layer.name],
                                     _node_args(layer))
        if isinstance(layer, keras.layers.BatchNormalization):
            x64 = tf.cast(args, tf.float64)
            mean = tf.reduce_mean(x64, axis=[0, 1, 2])
            var = tf.reduce_mean(tf.square(x64 - mean), axis=[0, 1, 2])
            var = tf.maximum(var, 1e-6)
            gamma, beta, _, _ = layer.get_weights()
            layer.set_weights([gamma, beta, mean.numpy().astype(np.float32),
                               var.numpy().astype(np.float32)])
            bn_report.append((layer.name, float(tf.reduce_mean(mean)),
                              float(tf.reduce_mean(var))))
        out = layer(args, training=False)
        values[layer.name] = out
        if layer.name in gap_names:
            gaps[layer.name] = out.numpy()
        for t in tf.nest.flatten(_node_args(layer)):
            src = t._keras_history.layer.name
            consumers[src] -= 1
            if consumers[src] == 0:
                del values[src]
    return [gaps[n] for n in gap_names], bn_report


# ----------------------------------------------------------------------------------------
# Heads
# ----------------------------------------------------------------------------------------

def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def head_offsets(rng, num_classes):
    """Per-head per-class logit offsets (centred): head k leans towards class (k + r) mod N by
    a different amount, plus a little jitter, so the heads prefer different classes and every
    pair of heads differs clearly (None when this draw does not)."""
    bumps = rng.permutation([0.5, 1.1, 1.7, 2.3, 2.9])
    start = int(rng.integers(num_classes))
    off = rng.normal(0.0, 0.1, size=(5, num_classes))
    for k in range(5):
        off[k, (k + start) % num_classes] += bumps[k]
    off -= off.mean(axis=1, keepdims=True)
    pair = min(np.abs(off[a] - off[b]).max() for a in range(5) for b in range(a + 1, 5))
    if pair > 0.15 and len(set(off.argmax(axis=1))) > 1:
        return off
    return None


def init_heads(model, gap_features, key, num_classes):
    """Initialises the heads; the final Dense of each head is scaled and offset so its logits
    spread over the sample images without saturating. Returns {layer name: arrays}."""
    heads = cm.head_structure(model)
    weights = {}
    hidden_feats = []
    for k, (h, g) in enumerate(zip(heads, gap_features), start=1):
        a = g.astype(np.float64)
        for d in h["dense"][:3]:
            kern, bias = init_layer(d, key)
            weights[d.name] = [kern, bias]
            a = np.maximum(a @ kern.astype(np.float64) + bias, 0.0)
        assert (a.max(axis=0) > 0).sum() >= 16, "head %d: too many dead MKH units" % k
        hidden_feats.append(a)
    finals = []
    for k, (h, a) in enumerate(zip(heads, hidden_feats)):
        kern, _ = init_layer(h["final"], key)
        kern = kern.astype(np.float64)
        z0 = a @ kern
        centre = np.median(z0, axis=0)
        # The largest deviation over the images (the odd ones: 1-bit, clipped 16-bit) sets the
        # scale, so no image saturates; the typical images then vary less but still vary.
        spread = float(np.abs(z0 - centre).max())
        assert spread > 1e-6 * (np.abs(z0).mean() + 1e-12), "head %d: no spread" % (k + 1)
        finals.append((h["final"].name, kern, z0, centre, spread))

    rng = np.random.default_rng(layer_seed(key, "final-dense-offsets"))
    for attempt in range(500):
        offsets = head_offsets(rng, num_classes)
        if offsets is None:
            continue
        head_w, probs, shrinks = {}, [], []
        for k, (name, kern, z0, centre, spread) in enumerate(finals):
            shrink, off = 1.0, offsets[k]
            for _ in range(100):
                s = LOGIT_SPREAD * shrink / spread
                p = softmax((z0 - centre) * s + off)
                if p.min() >= PROB_MIN * 1.5 and p.max() <= 1 - (1 - PROB_MAX) * 1.5:
                    break
                if shrink > 0.25:
                    shrink *= 0.93
                else:
                    off = off * 0.93
            else:
                raise RuntimeError("head %d: could not bring probabilities into range" % (k + 1))
            head_w[name] = [(kern * s).astype(np.float32), (-centre * s + off).astype(np.float32)]
            probs.append(p)
            shrinks.append(round(shrink, 4))
        probs = np.stack(probs)
        avg = probs.mean(axis=0)
        # No near-ties (a class decision must not hinge on rounding) and an output whose top
        # class depends on the image.
        if (margins(avg).min() >= MIN_OUTPUT_MARGIN
                and margins(probs).min() >= MIN_HEAD_MARGIN
                and len(set(avg.argmax(axis=-1))) > 1):
            weights.update(head_w)
            return weights, dict(attempt=attempt, shrink=shrinks)
    raise RuntimeError("no head offsets give untied, image-dependent outputs")


def margins(p):
    """Top-1 minus top-2 probability along the last axis."""
    srt = np.sort(p, axis=-1)
    return srt[..., -1] - srt[..., -2]


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------

def add_reference_attrs(path, naming, layout):
    str_t = h5py.string_dtype("utf-8")
    attrs = {
        "cvrnet_reference_weights": REFERENCE_NOTE,
        "cvrnet_generator": GENERATOR,
        "cvrnet_seed": str(SEED),
        "cvrnet_naming": naming,
        "cvrnet_keras": cm.keras_version_string(),
    }
    with h5py.File(path, "a") as f:
        targets = [f]
        if layout == "full_model":
            targets.append(f["model_weights"])
        for g in targets:
            for k, v in attrs.items():
                g.attrs.create(k, v, dtype=str_t)


def save_file(model, path, naming, layout):
    tmp = os.path.join(os.path.dirname(path), ".tmp-" + os.path.basename(path))
    if os.path.exists(tmp):
        os.remove(tmp)
    if layout == "weights_only":
        model.save_weights(tmp, save_format="h5")
    else:
        model.save(tmp, save_format="h5", include_optimizer=False)
    add_reference_attrs(tmp, naming, layout)
    os.replace(tmp, path)


def load_file(path, num_classes, naming, layout):
    if layout == "weights_only":
        model = cm.build_cvrnet(num_classes, naming)
        model.load_weights(path)
    else:
        keras.backend.clear_session()
        model = keras.models.load_model(path, compile=False)
    cm.self_check(model, naming, num_classes, verbose=False)
    return model


def describe_h5(path, layout):
    with h5py.File(path, "r") as f:
        g = f["model_weights"] if layout == "full_model" else f
        root = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()
                if k != "model_config" and k != "training_config"}
        layer_names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["layer_names"]]
        wn = {}
        for lname in ("res_conv1", "res_conv1_conv", "xce_conv2d", "xce_conv2d_1", "dense",
                      "dense_1", "res_bn_conv1", "res_conv1_bn"):
            if lname in g:
                wn[lname] = [n.decode() if isinstance(n, bytes) else n
                             for n in g[lname].attrs["weight_names"]]
    return root, layer_names, wn


# ----------------------------------------------------------------------------------------
# Golden outputs
# ----------------------------------------------------------------------------------------

def tap_stats(t):
    t64 = t.astype(np.float64)
    return {"shape": list(t.shape), "mean": float(t64.mean()), "std": float(t64.std()),
            "min": float(t64.min()), "max": float(t64.max()),
            "l2": float(np.sqrt(np.sum(t64 * t64)))}


def golden(model, fname, num_classes, naming, layout, names, x):
    stem = os.path.splitext(fname)[0]
    probe = cm.build_probe_model(model)
    outs = [o.numpy() for o in probe(tf.constant(x), training=False)]
    taps, heads, final = outs[:5], outs[5:10], outs[10]
    direct = model(tf.constant(x), training=False).numpy()
    assert np.max(np.abs(direct - final)) < 1e-6
    # batch vs single image
    single_diff = 0.0
    for i in range(len(x)):
        one = model(tf.constant(x[i:i + 1]), training=False).numpy()
        single_diff = max(single_diff, float(np.max(np.abs(one[0] - final[i]))))
    taps_dir = os.path.join(GOLDEN_DIR, stem + ".taps")
    if os.path.isdir(taps_dir):
        shutil.rmtree(taps_dir)
    os.makedirs(taps_dir)
    images = []
    for i, name in enumerate(names):
        taps_file = None
        if i < len(TAP_IMAGES):
            rel = os.path.join("weights", "golden", stem + ".taps", name + ".f32")
            with open(os.path.join(ROOT, rel), "wb") as f:
                for t in taps:
                    f.write(np.ascontiguousarray(t[i], dtype="<f4").tobytes())
            taps_file = rel
        images.append({
            "image": os.path.join("Tests", "Fixtures", "sample-images", name),
            "input_fnv1a64": cm.fnv1a64(x[i]),
            "input_sum": float(np.sum(x[i], dtype=np.float64)),
            "probabilities": [float(p) for p in final[i]],
            "heads": [[float(p) for p in h[i]] for h in heads],
            "taps": {hn: tap_stats(t[i]) for hn, t in zip(cm.HEADS, taps)},
            "taps_file": taps_file,
        })
    doc = {
        "weights_file": fname,
        "num_classes": num_classes,
        "naming": naming,
        "layout": layout,
        "keras": cm.keras_version_string(),
        "seed": str(SEED),
        "tap_layers": cm.TAP_LAYERS[naming],
        "taps_file_format": "float32 little-endian; head1..head5 taps concatenated, each "
                            "(H, W, C) row-major: head1 7x7x4096, head2 14x14x1024, head3 "
                            "28x28x512, head4 28x28x728, head5 14x14x1024",
        "images": images,
    }
    return doc, np.stack(heads), final, single_diff


def check_outputs(heads, final, label):
    """Asserts non-degenerate outputs; returns the numbers for the report."""
    allp = np.concatenate([heads.reshape(-1), final.reshape(-1)])
    lo, hi = float(allp.min()), float(allp.max())
    assert lo >= PROB_MIN and hi <= PROB_MAX, "%s: probabilities %g..%g" % (label, lo, hi)
    top = heads.argmax(axis=-1)  # (5, n)
    n_img = heads.shape[1]
    disagree_imgs = int(sum(len(set(top[:, i])) > 1 for i in range(n_img)))
    assert disagree_imgs >= max(1, n_img // 4), "%s: heads agree on almost every image" % label
    pair = [float(np.abs(heads[a] - heads[b]).max(axis=-1).mean())
            for a in range(5) for b in range(a + 1, 5)]
    assert min(pair) > 0.02, "%s: two heads nearly identical (%g)" % (label, min(pair))
    per_head_top = [sorted(set(int(c) for c in top[k])) for k in range(5)]
    img_std = float(final.std(axis=0).max())
    typical = np.median(np.abs(final - np.median(final, axis=0)), axis=0).max()
    assert img_std > 0.01, "%s: output hardly depends on the image" % label
    final_top = sorted(set(int(c) for c in final.argmax(axis=-1)))
    assert len(final_top) > 1, "%s: the output's top class never changes" % label
    out_margin = float(margins(final).min())
    head_margin = float(margins(heads).min())
    assert out_margin >= MIN_OUTPUT_MARGIN * 0.9, "%s: near-tie in output" % label
    assert head_margin >= MIN_HEAD_MARGIN * 0.9, "%s: near-tie in a head" % label
    return dict(min_prob=lo, max_prob=hi, images_where_heads_disagree=disagree_imgs,
                n_images=n_img, min_mean_head_pair_maxdiff=min(pair),
                mean_head_pair_maxdiff=float(np.mean(pair)), head_top_classes=per_head_top,
                output_top_classes=final_top, output_std_over_images=img_std,
                output_median_abs_dev_over_images=float(typical),
                head_pair_maxdiffs=[round(p, 4) for p in pair],
                min_output_margin=out_margin, min_head_margin=head_margin)


def compare_with_previous(path, doc):
    """Largest difference to a golden file written by an earlier run (None if none)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            old = json.load(f)
        diffs = [0.0]
        for a, b in zip(old["images"], doc["images"]):
            if a["image"] != b["image"] or a["input_fnv1a64"] != b["input_fnv1a64"]:
                return "different images"
            diffs.append(np.abs(np.array(a["probabilities"]) - b["probabilities"]).max())
            diffs.append(np.abs(np.array(a["heads"]) - np.array(b["heads"])).max())
            for h in cm.HEADS:
                for s in ("mean", "std", "min", "max"):
                    diffs.append(abs(a["taps"][h][s] - b["taps"][h][s]))
        if len(old["images"]) != len(doc["images"]):
            return "different image count"
        return float(max(diffs))
    except (KeyError, ValueError, TypeError) as e:
        return "unreadable (%s)" % e


# ----------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", help="write only this file name (repeatable)")
    args = ap.parse_args()

    t_start = time.time()
    tf.get_logger().setLevel("ERROR")
    warnings.filterwarnings("ignore", message="You are saving your model as an HDF5 file")
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    os.makedirs(GOLDEN_DIR, exist_ok=True)

    names = sample_images()
    x = load_inputs(names)
    log("inputs: %d sample images, %s" % (len(names), cm.keras_version_string()))

    files = [f for f in FILES if not args.only or f[0] in args.only]
    encoders = {}
    report = {}
    for fname, num_classes, naming, layout in files:
        t0 = time.time()
        label = "%s (%d classes, %s, %s)" % (fname, num_classes, naming, layout)
        log("== " + label)
        if naming not in encoders:
            tc = time.time()
            model = cm.build_cvrnet(2, naming)
            enc = {}
            for layer in model.layers:
                if is_encoder_layer(layer) and layer.weights:
                    layer.set_weights(init_layer(layer, "encoder:" + naming))
            gaps, bn_report = calibrate_encoders(model, x, naming)
            for layer in model.layers:
                if is_encoder_layer(layer) and layer.weights:
                    enc[layer.name] = layer.get_weights()
            encoders[naming] = (enc, gaps)
            means = [abs(m) for _, m, _ in bn_report]
            variances = [v for _, _, v in bn_report]
            log("   encoders initialised and %d BatchNorms calibrated in %.1f s (per-BN mean of "
                "|moving_mean| %.3g..%.3g, of moving_variance %.3g..%.3g)" % (
                    len(bn_report), time.time() - tc, min(means), max(means), min(variances),
                    max(variances)))
        enc, gaps = encoders[naming]

        model = cm.build_cvrnet(num_classes, naming)
        cm.self_check(model, naming, num_classes, verbose=False)
        for layer in model.layers:
            if is_encoder_layer(layer) and layer.weights:
                layer.set_weights(enc[layer.name])
        key = "heads:%s:%d" % (naming, num_classes)
        head_w, shrink = init_heads(model, gaps, key, num_classes)
        for lname, ws in head_w.items():
            model.get_layer(lname).set_weights(ws)
        n_set = sum(1 for l in model.layers if l.weights)
        assert n_set == len(enc) + len(head_w), (n_set, len(enc), len(head_w))

        path = os.path.join(WEIGHTS_DIR, fname)
        save_file(model, path, naming, layout)
        del model
        model = load_file(path, num_classes, naming, layout)
        doc, heads, final, single_diff = golden(model, fname, num_classes, naming, layout,
                                                names, x)
        numbers = check_outputs(heads, final, label)
        gpath = os.path.join(GOLDEN_DIR, os.path.splitext(fname)[0] + ".json")
        prev = compare_with_previous(gpath, doc)
        with open(gpath, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        root, layer_names, wn = describe_h5(path, layout)
        size = os.path.getsize(path)
        numbers.update(batch_vs_single_max_diff=single_diff, head_scaling=shrink,
                       previous_run_max_diff=prev, seconds=round(time.time() - t0, 1),
                       bytes=size)
        report[fname] = numbers
        log("   wrote %s (%.1f MB), golden %s" % (os.path.relpath(path, ROOT), size / 1e6,
                                                  os.path.relpath(gpath, ROOT)))
        log("   root attrs: %s" % {k: v for k, v in root.items() if k != "layer_names"
                                   and not k.startswith("cvrnet_")})
        log("   first layer_names: %s" % layer_names[:6])
        log("   weight_names: %s" % wn)
        log("   probabilities %.4f..%.4f; heads' top class differs on %d of %d images; head pair "
            "mean max-diff %.3f (min %.3f); head top classes %s; output top classes %s; output "
            "std over images %.3f (median abs dev %.3f); smallest top-1 minus top-2 margin: "
            "output %.4f, heads %.4f" % (
                numbers["min_prob"], numbers["max_prob"], numbers["images_where_heads_disagree"],
                numbers["n_images"], numbers["mean_head_pair_maxdiff"],
                numbers["min_mean_head_pair_maxdiff"], numbers["head_top_classes"],
                numbers["output_top_classes"], numbers["output_std_over_images"],
                numbers["output_median_abs_dev_over_images"], numbers["min_output_margin"],
                numbers["min_head_margin"]))
        log("   head scaling %s" % (shrink,))
        log("   batch vs single-image max |diff| %.3g; vs previous golden: %s; %.1f s" % (
            single_diff, prev, numbers["seconds"]))
        del model
    log("done in %.1f s" % (time.time() - t_start))
    os.makedirs(os.path.join(GOLDEN_DIR, "report"), exist_ok=True)
    stale = os.path.join(GOLDEN_DIR, "run-report.json")
    if os.path.exists(stale):
        os.remove(stale)
    with open(os.path.join(GOLDEN_DIR, "report", "run-report.json"), "w") as f:
        json.dump(dict(report=report, seconds=round(time.time() - t_start, 1)), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
