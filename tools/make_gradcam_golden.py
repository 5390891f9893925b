"""Keras's Grad-CAM of every CVR-Net head on the reference weights: the ground truth of
`CVRNetModel.explain`.

    .venv/bin/python tools/make_gradcam_golden.py [--only FILE ...]

Reads the four reference weights files (or those named with --only; tools/prepare.sh runs two
processes of two files each side by side) of weights/ (tools/make_reference_weights.py makes them)
and writes, per file, weights/golden/<stem>.gradcam.json plus one float32 file per
(image, class) in weights/golden/<stem>.gradcam/, and weights/golden/<stem>.gradcam.f64 (all
git-ignored, like the other golden outputs).

Grad-CAM as the Keras example computes it (keras.io "Grad-CAM class activation
visualization"), once per head: a model whose outputs are the head's feature map and the
head's pre-softmax logits; under tf.GradientTape the gradient of the chosen class's logit
with respect to the feature map, averaged over the positions (`reduce_mean(axis=(0, 1, 2))`),
weights the channels of the map: map = feature_map @ pooled_grads. That map (signed, not
normalised) is what the golden file holds per head.

The combined map: each head's map ReLU'd and divided by its maximum (a map whose maximum is
not > 0 stays all zero), resized to 224x224 with `tf.image.resize(method="bilinear")`
(half-pixel centres, no antialias), and the five averaged.

Classes explained: the top class of the averaged output and one other class
((top + 1) mod classes).

The same head maps from the same model and weights run in float64 (`set_floatx("float64")`
while it is built, the float32 weights converted exactly): the model's exact arithmetic, as
far as float64 rounding goes. Keras's float32 maps carry float32 rounding of their own (head 1
differs from float64 by up to about 1e-4 relative L2), so the parity test compares against
these. Only the head maps are written, in <stem>.gradcam.f64: float64 little-endian, the
entries in order, each head1..head5.

Both precisions compute every head and both classes of an image from one forward pass (one
persistent tape), not one pass per (head, class) as the example's per-head model would: the
gradient of a head's logit reaches only that head's feature map through that head's Dense
layers, so the maps are the same. The script checks that on the first image of every file,
against the example's per-head model, for heads 1 and 5.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvrnet_model as cm  # noqa: E402
import make_reference_weights as mrw  # noqa: E402

keras = cm.keras

ROOT = mrw.ROOT
GOLDEN_DIR = mrw.GOLDEN_DIR
# Square and unresized; RGB resized from 333x287; a portrait RGBA resized from 256x320.
IMAGES = ["png-gray8-224x224.png", "png-rgb8-333x287.png", "png-rgba8-256x320.png"]
COMBINED_SIZE = 224


def head_logit_models(model):
    """Per head: a model from the input to (feature map, pre-softmax logits of the head)."""
    models = []
    for h in cm.head_structure(model):
        final = h["final"]
        mkh = h["dense"][2]
        # The final Dense layer's own kernel and bias applied without its softmax, as the
        # Keras example does by removing the last activation.
        logits = tf.matmul(mkh.output, final.kernel) + final.bias
        models.append(keras.Model(inputs=model.input, outputs=[h["tap"].output, logits]))
    return models


def grad_cam(head_model, x, class_index):
    with tf.GradientTape() as tape:
        feature_map, logits = head_model(x, training=False)
        score = logits[:, class_index]
    grads = tape.gradient(score, feature_map)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = feature_map[0] @ pooled_grads[..., tf.newaxis]
    return tf.squeeze(heatmap).numpy().astype(np.float32), logits.numpy()[0]


def float64_twin(model, num_classes, naming):
    """`model` rebuilt with float64 variables and layers, holding its float32 weights."""
    keras.backend.set_floatx("float64")
    try:
        twin = cm.build_cvrnet(num_classes, naming)
    finally:
        keras.backend.set_floatx("float32")
    for layer in twin.layers:
        weights = model.get_layer(layer.name).get_weights()
        if weights:
            layer.set_weights([w.astype(np.float64) for w in weights])
    return twin


def all_heads_model(model):
    """A model from the input to the five heads' feature maps, then their pre-softmax logits."""
    heads = cm.head_structure(model)
    logits = [tf.matmul(h["dense"][2].output, h["final"].kernel) + h["final"].bias for h in heads]
    return keras.Model(inputs=model.input, outputs=[h["tap"].output for h in heads] + logits)


def grad_cam_all_heads(model, x, class_indices):
    """`grad_cam` of every head for each of `class_indices`, from one forward pass (in the
    model's dtype; `model` is `all_heads_model`'s): ({class index: [head1..head5 maps]},
    [head1..head5 logits]). Each map is the same computation as `grad_cam` on that head's own
    model: the gradient of one logit with respect to one feature map only flows back through
    that head's Dense layers."""
    with tf.GradientTape(persistent=True) as tape:
        outputs = model(x, training=False)
        feature_maps, logits = outputs[:5], outputs[5:]
        scores = {c: [l[:, c] for l in logits] for c in class_indices}
    maps = {}
    for c in class_indices:
        maps[c] = []
        for feature_map, score in zip(feature_maps, scores[c]):
            pooled_grads = tf.reduce_mean(tape.gradient(score, feature_map), axis=(0, 1, 2))
            maps[c].append(tf.squeeze(feature_map[0] @ pooled_grads[..., tf.newaxis]).numpy())
    del tape
    return maps, [l.numpy()[0] for l in logits]


def normalised(heatmap):
    h = np.maximum(heatmap, 0)
    m = h.max()
    return h / m if m > 0 else np.zeros_like(h)


def combined_map(heatmaps):
    ups = [tf.image.resize(normalised(h)[..., np.newaxis], (COMBINED_SIZE, COMBINED_SIZE),
                           method="bilinear", antialias=False).numpy()[..., 0]
           for h in heatmaps]
    return np.mean(np.stack(ups), axis=0).astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", help="this weights file name only (repeatable)")
    args = ap.parse_args()
    known = [f[0] for f in mrw.FILES]
    for name in args.only or []:
        if name not in known:
            print("unknown weights file %s (one of %s)" % (name, ", ".join(known)), file=sys.stderr)
            return 2
    for fname, num_classes, naming, layout in mrw.FILES:
        if args.only and fname not in args.only:
            continue
        path = os.path.join(mrw.WEIGHTS_DIR, fname)
        if not os.path.exists(path):
            print("missing %s: run tools/prepare.sh first" % path, file=sys.stderr)
            return 1
        stem = os.path.splitext(fname)[0]
        model = mrw.load_file(path, num_classes, naming, layout)
        heads = all_heads_model(model)
        out_dir = os.path.join(GOLDEN_DIR, stem + ".gradcam")
        if os.path.isdir(out_dir):
            shutil.rmtree(out_dir)
        os.makedirs(out_dir)
        entries = []
        explained = []  # per image: (input, {class index: float32 head maps})
        for name in IMAGES:
            x = mrw.load_inputs([name])
            probs = model(tf.constant(x), training=False).numpy()[0]
            top = int(np.argmax(probs))
            explained.append((x, {}))
            classes = [top, (top + 1) % num_classes]
            # Every head and both classes from one forward pass (a persistent tape).
            all_maps, logits = grad_cam_all_heads(heads, tf.constant(x), classes)
            if name == IMAGES[0]:
                # The one-pass form against the Keras example's own (a model per head), on the
                # fused head and the last one: the same computation, so the same maps.
                per_head = head_logit_models(model)
                for k in (0, 4):
                    example, _ = grad_cam(per_head[k], tf.constant(x), top)
                    one_pass = all_maps[top][k].astype(np.float32)
                    diff = float(np.max(np.abs(example - one_pass)))
                    scale = float(np.max(np.abs(example)))
                    print("%s %s class %d head %d: one pass vs per-head model max |diff| %.3g "
                          "(map max |value| %.3g)" % (stem, name, top, k + 1, diff, scale), flush=True)
                    assert diff <= 1e-5 * scale, "one-pass Grad-CAM differs from the per-head model"
            for class_index in classes:
                maps = [m.astype(np.float32) for m in all_maps[class_index]]
                combined = combined_map(maps)
                rel = os.path.join("weights", "golden", stem + ".gradcam",
                                   "%s.class%d.f32" % (name, class_index))
                with open(os.path.join(ROOT, rel), "wb") as f:
                    for m in maps:
                        f.write(np.ascontiguousarray(m, dtype="<f4").tobytes())
                    f.write(np.ascontiguousarray(combined, dtype="<f4").tobytes())
                entries.append({
                    "image": os.path.join("Tests", "Fixtures", "sample-images", name),
                    "input_fnv1a64": cm.fnv1a64(x[0]),
                    "class_index": class_index,
                    "is_top_class": class_index == top,
                    "probabilities": [float(p) for p in probs],
                    "head_logits": [[float(v) for v in l] for l in logits],
                    "head_map_shapes": [list(m.shape) for m in maps],
                    "head_map_max": [float(m.max()) for m in maps],
                    "combined_max": float(combined.max()),
                    "maps_file": rel,
                })
                explained[-1][1][class_index] = maps
                print("%s %s class %d: head map maxima %s, combined max %.4f" % (
                    stem, name, class_index, ["%.4g" % m.max() for m in maps], combined.max()),
                    flush=True)
        f64_rel = os.path.join("weights", "golden", stem + ".gradcam.f64")
        f64_model = all_heads_model(float64_twin(model, num_classes, naming))
        with open(os.path.join(ROOT, f64_rel), "wb") as f:
            for name, (x, maps32) in zip(IMAGES, explained):
                # Both classes of an image from one float64 forward pass; entries are in this order.
                maps64, _ = grad_cam_all_heads(f64_model, tf.constant(x, dtype=tf.float64), list(maps32))
                for class_index, maps in maps64.items():
                    for m in maps:
                        f.write(np.ascontiguousarray(m, dtype="<f8").tobytes())
                    rel32 = [float(np.linalg.norm(m32.astype(np.float64) - m64) / np.linalg.norm(m64))
                             for m32, m64 in zip(maps32[class_index], maps)]
                    print("%s %s class %d: float32 maps vs float64, relative L2 per head %s" % (
                        stem, name, class_index, " ".join("%.2e" % r for r in rel32)), flush=True)
        doc = {
            "weights_file": fname,
            "num_classes": num_classes,
            "keras": cm.keras_version_string(),
            "maps_file_format": "float32 little-endian: head1..head5 Grad-CAM maps (signed, "
                                "not normalised; 7x7, 14x14, 28x28, 28x28, 14x14 row-major), "
                                "then the combined 224x224 map",
            "maps_file_f64": f64_rel,
            "maps_file_f64_format": "float64 little-endian: per entry, in order, head1..head5 "
                                    "Grad-CAM maps of the model run in float64 (same layout "
                                    "as the float32 head maps; no combined map)",
            "combination": "ReLU, divide by max (all zero if max <= 0), tf.image.resize "
                           "bilinear 224x224 (half-pixel centres, no antialias), mean of five",
            "entries": entries,
        }
        with open(os.path.join(GOLDEN_DIR, stem + ".gradcam.json"), "w") as f:
            json.dump(doc, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
