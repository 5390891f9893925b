#!/usr/bin/env python3
"""Ground truth for cvrnet's Evaluation module: scikit-learn (and NumPy/SciPy) on fixed tables.

Writes Tests/Fixtures/evaluation/metrics.json: for each case (true class per sample, one
probability row per sample), what scikit-learn 1.9.1 computes the way the CVR-Net notebook
calls it (roc_curve/auc per class, the macro ROC by np.interp onto the union of the FPRs,
micro ROC and micro average precision on the raveled one-hot table, classification_report,
confusion_matrix), sensitivity/specificity with SciPy's Wilson interval
(binomtest(...).proportion_ci(method="wilson")), and the percentile bootstrap of the AUCs with
the SplitMix64 index stream the Swift code documents.

    .venv/bin/python tools/make_evaluation_fixture.py

The cases are built from a seeded generator: ties, a class never predicted, a perfect and an
inverted classifier, a class without positives, two classes, and coarse (heavily tied) scores.
"""
import json
import math
import pathlib
import sys
import warnings

import numpy as np
import scipy
import sklearn
from scipy.stats import binomtest
from sklearn.metrics import (auc, average_precision_score, classification_report, confusion_matrix,
                             precision_recall_curve, roc_curve)

import cvrnet_common  # noqa: E402

ROOT = pathlib.Path(cvrnet_common.ROOT)
OUT = ROOT / "Tests" / "Fixtures" / "evaluation" / "metrics.json"
BOOTSTRAP_RESAMPLES = 200
SEED = 200711993
MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def index(self, n):
        return (self.next() * n) >> 64


def clean(value):
    """JSON has no NaN or infinity: write them as strings the Swift test reads back."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(value, (np.integer,)):
        return int(value)
    return value


def macro_roc(fprs, tprs):
    """The notebook's macro average (scipy.interp was numpy.interp)."""
    all_fpr = np.unique(np.concatenate(fprs))
    mean_tpr = np.zeros_like(all_fpr)
    for f, t in zip(fprs, tprs):
        mean_tpr += np.interp(all_fpr, f, t)
    mean_tpr /= len(fprs)
    return all_fpr, mean_tpr, auc(all_fpr, mean_tpr)


def wilson(k, n):
    if n == 0:
        return {"value": "NaN", "lower": "NaN", "upper": "NaN"}
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    return {"value": k / n, "lower": ci.low, "upper": ci.high}


def bootstrap(truth, probs, n_classes):
    rng = SplitMix64(SEED)
    n = len(truth)
    per_class = [[] for _ in range(n_classes)]
    macro = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        picks = np.array([rng.index(n) for _ in range(n)])
        t, p = truth[picks], probs[picks]
        fprs, tprs = [], []
        for k in range(n_classes):
            positives = int((t == k).sum())
            if positives == 0 or positives == n:
                continue
            f, r, _ = roc_curve(t == k, p[:, k])
            per_class[k].append(auc(f, r))
            fprs.append(f)
            tprs.append(r)
        if len(fprs) == n_classes:
            macro.append(macro_roc(fprs, tprs)[2])

    def interval(values):
        if not values:
            return {"lower": "NaN", "upper": "NaN", "resamplesUsed": 0}
        return {"lower": np.percentile(values, 2.5), "upper": np.percentile(values, 97.5),
                "resamplesUsed": len(values)}
    return {"classes": [interval(v) for v in per_class], "macro": interval(macro),
            "resamples": BOOTSTRAP_RESAMPLES, "seed": SEED}


def evaluate(name, truth, probs, with_bootstrap=True):
    truth = np.asarray(truth)
    probs = np.asarray(probs, dtype=np.float64)
    n_classes = probs.shape[1]
    onehot = np.eye(n_classes)[truth]
    predicted = probs.argmax(axis=1)
    labels = list(range(n_classes))
    report = classification_report(truth, predicted, labels=labels, output_dict=True)
    cm = confusion_matrix(truth, predicted, labels=labels)
    cm_norm = confusion_matrix(truth, predicted, labels=labels, normalize="true")
    classes = []
    fprs, tprs = [], []
    for k in range(n_classes):
        fpr, tpr, thr = roc_curve(onehot[:, k], probs[:, k])
        prec, rec, pthr = precision_recall_curve(onehot[:, k], probs[:, k])
        fprs.append(fpr)
        tprs.append(tpr)
        tp = int(cm[k, k])
        support = int(cm[k].sum())
        predicted_k = int(cm[:, k].sum())
        negatives = len(truth) - support
        tn = negatives - (predicted_k - tp)
        classes.append({
            "roc": {"fpr": fpr, "tpr": tpr, "thresholds": thr},
            "auc": auc(fpr, tpr),
            "pr": {"precision": prec, "recall": rec, "thresholds": pthr},
            "averagePrecision": average_precision_score(onehot[:, k], probs[:, k]),
            "sensitivity": wilson(tp, support),
            "specificity": wilson(tn, negatives),
            "report": report[str(k)],
        })
    if any(np.isnan(f).any() or np.isnan(t).any() for f, t in zip(fprs, tprs)):
        macro = {"auc": "NaN"}
    else:
        all_fpr, mean_tpr, macro_auc = macro_roc(fprs, tprs)
        macro = {"fpr": all_fpr, "tpr": mean_tpr, "auc": macro_auc}
    mfpr, mtpr, mthr = roc_curve(onehot.ravel(), probs.ravel())
    mprec, mrec, mpthr = precision_recall_curve(onehot.ravel(), probs.ravel())
    return {
        "name": name,
        "truth": truth.tolist(),
        "probabilities": probs.tolist(),
        "predicted": predicted.tolist(),
        "confusion": cm.tolist(),
        "confusionNormalized": cm_norm.tolist(),
        "accuracy": report["accuracy"],
        "macroAverage": report["macro avg"],
        "weightedAverage": report["weighted avg"],
        "classes": classes,
        "macroROC": macro,
        "microROC": {"fpr": mfpr, "tpr": mtpr, "thresholds": mthr, "auc": auc(mfpr, mtpr)},
        "microPR": {"precision": mprec, "recall": mrec, "thresholds": mpthr},
        "microAveragePrecision": average_precision_score(onehot, probs, average="micro"),
        "bootstrap": bootstrap(truth, probs, n_classes) if with_bootstrap else None,
    }


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cases():
    rng = np.random.default_rng(20200723)
    out = []
    # Three classes, noisy but informative, scores rounded to 2 decimals: many ties.
    truth = rng.integers(0, 3, 45)
    logits = rng.normal(0, 1, (45, 3)) + 1.5 * np.eye(3)[truth]
    out.append(("three-classes-ties", truth, np.round(softmax_rows(logits), 2)))
    # Four classes, class 2 never the argmax (its scores are kept low).
    truth = rng.integers(0, 4, 40)
    logits = rng.normal(0, 1, (40, 4)) + 1.2 * np.eye(4)[truth]
    logits[:, 2] -= 4
    out.append(("class-never-predicted", truth, softmax_rows(logits)))
    # Perfect: the true class always scores highest, and every class separates perfectly.
    truth = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2])
    probs = np.full((10, 3), 0.1)
    probs[np.arange(10), truth] = 0.8
    out.append(("perfect", truth, probs))
    # Inverted: the true class always scores lowest.
    truth = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    p1 = np.array([0.2, 0.3, 0.1, 0.4, 0.35, 0.05, 0.15, 0.45])
    p1 = np.where(truth == 1, p1, 1 - p1)
    out.append(("inverted", truth, np.stack([1 - p1, p1], axis=1)))
    # Class 1 of three has no positives: its ROC is undefined (NaN), its AP is 0.
    truth = rng.choice([0, 2], 20)
    logits = rng.normal(0, 1, (20, 3)) + np.eye(3)[truth]
    out.append(("class-without-positives", truth, softmax_rows(logits)))
    # Two classes, float32 probabilities as a model writes them.
    truth = rng.integers(0, 2, 60)
    logits = rng.normal(0, 1, (60, 2)) + 0.8 * np.eye(2)[truth]
    out.append(("two-classes-float32", truth, softmax_rows(logits).astype(np.float32).astype(np.float64)))
    # All scores equal: one threshold, the chance diagonal.
    truth = np.array([0, 1, 1, 0, 1])
    out.append(("all-tied", truth, np.full((5, 2), 0.5)))
    # Exact ties between classes in a row (argmax takes the first) and one-decimal scores.
    truth = rng.integers(0, 3, 30)
    probs = np.round(rng.dirichlet([1, 1, 1], 30) + 0.3 * np.eye(3)[truth], 1)
    probs[:5] = [0.4, 0.4, 0.2]
    out.append(("coarse-with-row-ties", truth, probs))
    return out


def main():
    warnings.simplefilter("ignore")
    payload = {
        "generator": "tools/make_evaluation_fixture.py",
        "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__},
        "cases": [evaluate(name, truth, probs) for name, truth, probs in cases()],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(clean(payload), indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes, {len(payload['cases'])} cases)")


if __name__ == "__main__":
    sys.exit(main())
