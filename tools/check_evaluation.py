#!/usr/bin/env python3
"""Checks `cvrnet evaluate --json` against scikit-learn run on what `cvrnet score` wrote.

    tools/check_evaluation.py METRICS.json SCORES_MODEL1.csv [SCORES_MODEL2.csv ...]

Each CSV is `cvrnet score DIR --scales` of the same folder with one of the models, in the
order of evaluate's --weights. The probabilities are read as float32 (what cvrnet computes)
and widened to float64 (what evaluate's metrics use); evaluate's recorded probabilities must
be exactly those. Then every metric of every model's averaged output and of each head, of the
ensemble (the mean of the models' probabilities), and the folds' mean and std, is recomputed
with scikit-learn / NumPy / SciPy (tools/make_evaluation_fixture.py, the same code as the
committed fixture) and compared at 1e-12 relative (absolute below 1). Prints the largest
difference; exits 1 on the first mismatch.
"""
import csv
import json
import math
import pathlib
import sys
import warnings

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import make_evaluation_fixture as fixture  # noqa: E402

TOLERANCE = 1e-12
HEADS = ["fused_7x7", "resnet_14x14", "resnet_28x28", "xception_28x28", "xception_14x14"]
worst = 0.0


def num(v):
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return float(v)


def same(mine, ref, where):
    global worst
    mine = np.atleast_1d(np.asarray([num(v) for v in np.ravel(np.asarray(mine, dtype=object))], dtype=np.float64))
    ref = np.atleast_1d(np.asarray([num(v) for v in np.ravel(np.asarray(ref, dtype=object))], dtype=np.float64))
    if mine.shape != ref.shape:
        sys.exit(f"check_evaluation: {where}: {mine.shape[0]} values, scikit-learn has {ref.shape[0]}")
    for a, b in zip(mine, ref):
        if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
            if not ((math.isnan(a) and math.isnan(b)) or a == b):
                sys.exit(f"check_evaluation: {where}: cvrnet {a} vs scikit-learn {b}")
            continue
        d = abs(a - b) / max(1.0, abs(b))
        worst = max(worst, d)
        if d > TOLERANCE:
            sys.exit(f"check_evaluation: {where}: cvrnet {a!r} vs scikit-learn {b!r} (relative {d:.3g})")


def compare(e, ref, where):
    same(e["predicted"], ref["predicted"], f"{where} predicted")
    same(e["confusion"]["counts"], ref["confusion"], f"{where} confusion")
    same(e["confusionNormalized"], ref["confusionNormalized"], f"{where} normalized confusion")
    same([e["report"]["accuracy"]], [ref["accuracy"]], f"{where} accuracy")
    for key in ("macroAverage", "weightedAverage"):
        r = e["report"][key]
        same([r["precision"], r["recall"], r["f1"], r["support"]],
             [ref[key][k] for k in ("precision", "recall", "f1-score", "support")], f"{where} {key}")
    for k, (c, rc) in enumerate(zip(e["classes"], ref["classes"])):
        w = f"{where} class {c['label']}"
        same(c["roc"]["falsePositiveRates"], rc["roc"]["fpr"], w + " fpr")
        same(c["roc"]["truePositiveRates"], rc["roc"]["tpr"], w + " tpr")
        same(c["roc"]["thresholds"], rc["roc"]["thresholds"], w + " roc thresholds")
        same([c["auc"]], [rc["auc"]], w + " auc")
        same(c["precisionRecall"]["precisions"], rc["pr"]["precision"], w + " precision curve")
        same(c["precisionRecall"]["recalls"], rc["pr"]["recall"], w + " recall curve")
        same([c["averagePrecision"]], [rc["averagePrecision"]], w + " AP")
        for key in ("sensitivity", "specificity"):
            same([c[key][x] for x in ("value", "lower", "upper")], [rc[key][x] for x in ("value", "lower", "upper")], f"{w} {key}")
        r = e["report"]["classes"][k]
        same([r["precision"], r["recall"], r["f1"], r["support"]],
             [rc["report"][x] for x in ("precision", "recall", "f1-score", "support")], w + " report")
    same([e["macroAUC"]], [ref["macroROC"]["auc"]], f"{where} macro AUC")
    if "fpr" in ref["macroROC"]:
        same(e["macroROC"]["falsePositiveRates"], ref["macroROC"]["fpr"], f"{where} macro fpr")
        same(e["macroROC"]["truePositiveRates"], ref["macroROC"]["tpr"], f"{where} macro tpr")
    same(e["microROC"]["falsePositiveRates"], ref["microROC"]["fpr"], f"{where} micro fpr")
    same(e["microROC"]["truePositiveRates"], ref["microROC"]["tpr"], f"{where} micro tpr")
    same([e["microAUC"]], [ref["microROC"]["auc"]], f"{where} micro AUC")
    same(e["microPrecisionRecall"]["precisions"], ref["microPR"]["precision"], f"{where} micro precision curve")
    same([e["microAveragePrecision"]], [ref["microAveragePrecision"]], f"{where} micro AP")
    if ref["bootstrap"] is not None:
        b, rb = e["bootstrap"], ref["bootstrap"]
        for k, (c, rc) in enumerate(zip(b["classes"], rb["classes"])):
            same([c["resamplesUsed"], c["lower"], c["upper"]], [rc["resamplesUsed"], rc["lower"], rc["upper"]], f"{where} class {k} bootstrap")
        same([b["macro"]["resamplesUsed"], b["macro"]["lower"], b["macro"]["upper"]],
             [rb["macro"]["resamplesUsed"], rb["macro"]["lower"], rb["macro"]["upper"]], f"{where} macro bootstrap")


def read_scores(path, classes, paths):
    with open(path, newline="") as f:
        rows = {row["path"]: row for row in csv.DictReader(f)}
    def table(prefix):
        return np.array([[np.float32(rows[p][f"{prefix}p_{c}"]) for c in classes] for p in paths]).astype(np.float64)
    return table(""), [table(h + "_") for h in HEADS]


def main():
    warnings.simplefilter("ignore")
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    metrics = json.loads(pathlib.Path(sys.argv[1]).read_text())
    classes, paths, truth = metrics["classes"], metrics["paths"], np.array(metrics["truth"])
    if metrics["bootstrapResamples"] != fixture.BOOTSTRAP_RESAMPLES or metrics["bootstrapSeed"] != fixture.SEED:
        sys.exit(f"check_evaluation: run evaluate with --bootstrap {fixture.BOOTSTRAP_RESAMPLES} --seed {fixture.SEED}")
    scores = [read_scores(p, classes, paths) for p in sys.argv[2:]]
    if len(scores) != len(metrics["models"]):
        sys.exit("check_evaluation: give one score CSV per model")
    for m, (averaged, heads) in enumerate(scores):
        same(metrics["modelProbabilities"][m], averaged, f"model {m + 1} probabilities vs score")
        model = metrics["models"][m]
        compare(model["averaged"], fixture.evaluate("", truth, averaged), f"model {m + 1} averaged")
        for h, head in enumerate(model["heads"]):
            compare(head["evaluation"], fixture.evaluate("", truth, heads[h], with_bootstrap=False), f"model {m + 1} {head['head']}")
    if len(scores) > 1:
        mean = np.mean([s[0] for s in scores], axis=0)
        ensemble = metrics["ensemble"]
        compare(ensemble["averaged"], fixture.evaluate("", truth, mean), "ensemble averaged")
        for h, head in enumerate(ensemble["heads"]):
            compare(head["evaluation"], fixture.evaluate("", truth, np.mean([s[1][h] for s in scores], axis=0), with_bootstrap=False),
                    f"ensemble {head['head']}")
        accuracies = [fixture.evaluate("", truth, s[0], with_bootstrap=False)["accuracy"] for s in scores]
        aucs = [fixture.evaluate("", truth, s[0], with_bootstrap=False)["macroROC"]["auc"] for s in scores]
        for key, values in (("accuracy", accuracies), ("macro_auc", aucs)):
            same([metrics["folds"][key]["mean"], metrics["folds"][key]["std"]], [np.mean(values), np.std(values)], f"folds {key}")
    print(f"check_evaluation: {len(scores)} model(s), {len(paths)} images, every metric within {TOLERANCE:g} of scikit-learn; largest relative difference {worst:.3g}")


if __name__ == "__main__":
    main()
