"""Real DICOM files against DCMTK and Keras: writes weights/golden/dicom-real/ (not committed).

The files come from the PyPI package `pydicom-data` (pinned in tools/requirements.txt; the
test data set of pydicom, real patient images released for testing): a CR chest PA
(RG1_UNCR, and the same picture as JPEG 2000 lossless RG1_J2KR and lossy RG1_J2KI), a CR
extremity (RG3_*), a VOI LUT Sequence file (vlut_04), a Modality LUT Sequence file (mlut_18),
JPEG lossless, JPEG-LS and RLE files, an MR with a non-integer rescale and overlays, and
colour ultrasound / secondary capture (RGB both planar configurations, YBR_FULL, JPEG
baseline YBR_FULL_422).

For each file, frame 1:
  - `<stem>.png`: `dcmj2pnm --write-png --no-overlays` with the VOI cvrnet chooses by default
    (+Wl 1 for a VOI LUT Sequence, +Wi 1 for a window, +Wm otherwise; none for colour).
    DCMTK as packaged decodes neither JPEG 2000 nor JPEG-LS: those files are first
    decompressed with `gdcmconv --raw` (GDCM, the library cvrnet decodes with), and dcmj2pnm
    renders the result; for the lossless ones the decoded values are checked equal to the
    uncompressed twin's;
  - where pydicom can decode the file, the numpy oracle of tools/make_dicom_fixtures.py is
    run on it too and its largest difference to dcmj2pnm is recorded (it must be 0).
On the CR chest (RG1_UNCR) it also records Keras's `img_to_array(load_img(png,
target_size=(224, 224)))` of that PNG (FNV-1a 64 of the float32 bytes) and the prediction of
weights/reference-2class-keras231-weights.hdf5 (untrained reference weights: the numbers
check parity, they mean nothing medically).

    .venv/bin/python tools/make_dicom_real_data.py

tools/prepare.sh runs it: 56 s measured on a busy 2-core machine (19 s rendering, 31 s
TensorFlow's start, the model build and one prediction).
"""

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_dicom_fixtures as fixtures  # noqa: E402  (the oracles and dcmj2pnm's VOI rule)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "weights", "golden", "dicom-real")
WEIGHTS = "reference-2class-keras231-weights.hdf5"
PACKAGE, VERSION = "pydicom-data", "1.0.0"

# (file, what it is, uncompressed twin holding the same stored values or None)
FILES = [
    ("RG1_UNCR.dcm", "CR chest PA, MONOCHROME1, 15 bits, window", None),
    ("RG1_J2KR.dcm", "CR chest PA, JPEG 2000 lossless", "RG1_UNCR.dcm"),
    ("RG1_J2KI.dcm", "CR chest PA, JPEG 2000 lossy", None),
    ("RG3_UNCR.dcm", "CR extremity, MONOCHROME1, 10 bits, window", None),
    ("RG3_J2KR.dcm", "CR extremity, JPEG 2000 lossless", "RG3_UNCR.dcm"),
    ("RG3_J2KI.dcm", "CR extremity, JPEG 2000 lossy", None),
    ("vlut_04.dcm", "VOI LUT Sequence", None),
    ("mlut_18.dcm", "Modality LUT Sequence, min-max window", None),
    ("MR2_UNCR.dcm", "MR, rescale slope 3.774114 (non-integer)", None),
    ("MR-SIEMENS-DICOM-WithOverlays.dcm", "MR with overlay planes (ignored)", None),
    ("693_UNCR.dcm", "CT, window", None),
    ("JPEG-LL.dcm", "NM, JPEG lossless SV1, 16 bits", None),
    ("JPGLosslessP14SV1_1s_1f_8b.dcm", "US, JPEG lossless SV1, 8 bits", None),
    ("emri_small_RLE.dcm", "MR, RLE, 10 frames", "emri_small.dcm"),
    ("emri_small_jpeg_ls_lossless.dcm", "MR, JPEG-LS lossless, 10 frames", "emri_small.dcm"),
    ("US1_UNCR.dcm", "US, RGB", None),
    ("color-pl.dcm", "US, RGB planar configuration 1", None),
    ("SC_ybr_full_uncompressed.dcm", "secondary capture, YBR_FULL", None),
    ("color3d_jpeg_baseline.dcm", "US, JPEG baseline YBR_FULL_422, 120 frames", None),
]
CHEST = "RG1_UNCR.dcm"
DCMTK_CANNOT_DECODE = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",  # JPEG 2000
                       "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}  # JPEG-LS


def data_folder():
    installed = importlib.metadata.version(PACKAGE)
    if installed != VERSION:
        raise SystemExit(f"{PACKAGE} {installed} is installed, {VERSION} expected: run tools/setup_venv.sh --force")
    import data_store  # the package's import name
    return os.path.join(os.path.dirname(data_store.__file__), "data")


def raw_values(path):
    """Stored values as GDCM decodes them (gdcmconv --raw), for the lossless checks."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.dcm")
        subprocess.run(["gdcmconv", "--raw", path, raw], check=True, capture_output=True)
        return pydicom.dcmread(raw).PixelData


def oracle_difference(path, dcmtk):
    """Largest |oracle - dcmj2pnm|, or None when pydicom cannot decode the file here."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    try:
        if ds.PhotometricInterpretation in fixtures.COLOUR:
            ours = fixtures.colour_oracle(path)
        else:
            ours = fixtures.oracle(path)
    except RuntimeError:  # no pydicom decoder for this transfer syntax
        return None
    if ours.shape != dcmtk.shape:
        return 255
    return int(np.abs(ours.astype(int) - dcmtk.astype(int)).max())


def render(folder, name, describe, twin):
    path = os.path.join(folder, name)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    png = os.path.join(OUT_DIR, os.path.splitext(name)[0] + ".png")
    entry = {"file": name, "what": describe, "transfer_syntax": ds.file_meta.TransferSyntaxUID.name,
             "photometric": ds.PhotometricInterpretation, "rows": int(ds.Rows), "columns": int(ds.Columns),
             "frames": int(getattr(ds, "NumberOfFrames", 1) or 1), "frame": 1, "png": os.path.basename(png)}
    with tempfile.TemporaryDirectory() as tmp:
        source = path
        if syntax in DCMTK_CANNOT_DECODE:
            source = os.path.join(tmp, "raw.dcm")
            subprocess.run(["gdcmconv", "--raw", path, source], check=True, capture_output=True)
            entry["decompressed_by"] = "gdcmconv --raw"
        voi = fixtures.dcmj2pnm_voi(ds)
        options = ["--write-png", "--no-overlays", "+F", "1", *voi]
        subprocess.run(["dcmj2pnm", *options, source, png], check=True, capture_output=True)
        entry["dcmj2pnm_options"] = " ".join(options)
    picture = np.asarray(Image.open(png))
    entry["png_mode"] = Image.open(png).mode
    if twin:
        same = raw_values(path) == pydicom.dcmread(os.path.join(folder, twin)).PixelData
        if not same:
            raise SystemExit(f"{name}: GDCM's decoded values differ from {twin}'s: not lossless")
        entry["lossless_twin"] = twin
    entry["oracle_max_difference"] = oracle_difference(path, picture)
    return entry, png


def keras_on_chest(png):
    """Keras's input tensor of the chest PNG and the reference weights' prediction."""
    import tensorflow as tf
    import cvrnet_model as cm
    x = cm.load_keras_input(png)
    model = cm.build_cvrnet(2, "keras231")
    model.load_weights(os.path.join(ROOT, "weights", WEIGHTS))
    probe = cm.build_probe_model(model)
    outs = [o.numpy() for o in probe(tf.constant(x[None]), training=False)]
    heads, final = outs[5:10], outs[10]
    return {"weights_file": WEIGHTS, "input_fnv1a64": cm.fnv1a64(x),
            "input_sum": float(np.sum(x, dtype=np.float64)),
            "probabilities": [float(p) for p in final[0]], "heads": [[float(p) for p in h[0]] for h in heads],
            "keras": cm.keras_version_string()}


def main():
    start = time.time()
    folder = data_folder()
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        os.remove(os.path.join(OUT_DIR, old))
    entries, chest_png = [], None
    for name, describe, twin in FILES:
        entry, png = render(folder, name, describe, twin)
        entries.append(entry)
        if name == CHEST:
            chest_png = png
        print(f"{name}: {entry['photometric']} {entry['columns']}x{entry['rows']}, {entry['dcmj2pnm_options']}, "
              f"oracle difference {entry['oracle_max_difference']}")
    worst = max((e["oracle_max_difference"] or 0) for e in entries)
    if worst:
        raise SystemExit(f"the oracle differs from dcmj2pnm by up to {worst} on real data")
    rendered = time.time()
    doc = {"source": f"PyPI {PACKAGE}=={VERSION} (pydicom's test data)", "data_folder": folder,
           "dcmj2pnm": subprocess.run(["dcmj2pnm", "--version"], capture_output=True, text=True).stdout.split("\n")[0],
           "files": entries, "chest": {"file": CHEST, "png": os.path.basename(chest_png), **keras_on_chest(chest_png)}}
    with open(os.path.join(OUT_DIR, "manifest.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"{len(entries)} real DICOM files rendered in {rendered - start:.1f} s; Keras on the chest"
          f" {time.time() - rendered:.1f} s; prediction {doc['chest']['probabilities']}")


if __name__ == "__main__":
    main()
