#!/usr/bin/env python3
"""Writes Tests/Fixtures/layout/cvrnet-layout.json: what CVR-Net is, read from the Keras models
tools/cvrnet_model.py builds (both naming schemes), for CVRNetLayoutTests to check Swift's
`CVRNetLayout` against.

Run from the repository root:  .venv/bin/python tools/make_layout_fixture.py

Everything is read from the Keras graph, not from the rules CVRNetLayout writes down: the layer
names in model.layers order (what a weights file's layer_names holds), each BatchNormalization's
epsilon, ResNet50's stages (block count, filters and stride of each stage's first block), which
Xception block each auto-named residual projection feeds, and for every head the layers its
GlobalAveragePooling2D reads, the map's shape and its four Dense layers (found by walking back
from the Average layer, `cvrnet_model.head_structure`). No weights are needed: untrained models.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvrnet_model as cm  # noqa: E402
from cvrnet_common import ROOT, head_layers  # noqa: E402

keras = cm.keras
OUT = os.path.join(ROOT, "Tests", "Fixtures", "layout", "cvrnet-layout.json")


def inbound(layer):
    nodes = layer._inbound_nodes
    assert len(nodes) == 1, layer.name
    found = nodes[0].inbound_layers
    return list(found) if isinstance(found, (list, tuple)) else [found]


def outbound(layer):
    return [node.outbound_layer for node in layer._outbound_nodes]


def resnet_stages(model):
    """(stage, blocks, filters, stride) from the projection shortcut of each stage's first block
    and the 1x1 'reduce' convolutions (the first of the three in a block's main branch)."""
    stages = {}
    for layer in model.layers:
        if not (layer.name.startswith("res_") and isinstance(layer, keras.layers.Conv2D)):
            continue
        m = re.match(r"^res_conv(\d)_block(\d+)_1_conv$", layer.name) or \
            re.match(r"^res_res(\d)([a-z])_branch2a$", layer.name)
        if not m:
            continue
        stage = int(m.group(1))
        block = int(m.group(2)) if m.group(2).isdigit() else ord(m.group(2)) - ord("a") + 1
        entry = stages.setdefault(stage, {"stage": stage, "blocks": 0})
        entry["blocks"] = max(entry["blocks"], block)
        if block == 1:
            entry["filters"] = layer.filters
            entry["stride"] = layer.strides[0]
    return [stages[s] for s in sorted(stages)]


def xception_residuals(model):
    """The auto-named residual projections in creation order, with the block each one feeds."""
    out = []
    for layer in model.layers:
        if not (isinstance(layer, keras.layers.BatchNormalization) and
                re.match(r"^xce_batch_normalization(_\d+)?$", layer.name)):
            continue
        conv = inbound(layer)[0]
        add = outbound(layer)[0]
        pools = [l.name for l in inbound(add) if l is not layer]
        block = int(re.match(r"^xce_block(\d+)_pool$", pools[0]).group(1))
        out.append({"block": block, "convolution": conv.name, "batch_norm": layer.name})
    return out


def scheme_facts(naming, classes=2):
    model = cm.build_cvrnet(classes, naming)
    names = [l.name for l in model.layers]
    eps = lambda prefix: sorted({float(l.epsilon) for l in model.layers  # noqa: E731
                                 if isinstance(l, keras.layers.BatchNormalization) and l.name.startswith(prefix)})
    heads = []
    for k, h in enumerate(cm.head_structure(model), start=1):
        tap = h["tap"]
        tap_layers = [l.name for l in inbound(tap)] if isinstance(tap, keras.layers.Concatenate) else [tap.name]
        heads.append({"head": k, "tap_layers": tap_layers, "map_shape": list(tap.output.shape[1:]),
                      "dense": [d.name for d in h["dense"]], "units": [d.units for d in h["dense"]]})
    dense_auto = [n for n in names if re.match(r"^dense(_\d+)?$", n)]
    # The Python head rule (cvrnet_common) agrees with the graph; the Swift test checks its own.
    assert head_layers(sorted(dense_auto, key=lambda n: int(n.split("_")[1]) if "_" in n else 0)) == \
        [h["dense"] for h in heads]
    resnet_out = [l for l in model.layers if l.name == heads[0]["tap_layers"][0]][0]
    xception_out = [l for l in model.layers if l.name == heads[0]["tap_layers"][1]][0]
    return {
        "resnet50_bn_epsilon": eps("res_"),
        "xception_bn_epsilon": eps("xce_"),
        "resnet50_stages": resnet_stages(model),
        "xception_residuals": xception_residuals(model),
        "encoder_output_channels": [int(resnet_out.output.shape[-1]), int(xception_out.output.shape[-1])],
        "heads": heads,
        "layer_names": names,
    }


def main():
    facts = {
        "regenerate": ".venv/bin/python tools/make_layout_fixture.py",
        "keras": cm.keras_version_string(),
        "input_shape": list(cm.INPUT_SHAPE),
        "schemes": {"tfkeras": scheme_facts("tfkeras"), "keras231": scheme_facts("keras231")},
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(facts, f, indent=1)
        f.write("\n")
    print("wrote %s (%d bytes)" % (os.path.relpath(OUT, ROOT), os.path.getsize(OUT)))


if __name__ == "__main__":
    main()
