#!/usr/bin/env python3
"""Writes the seed corpora of tools/fuzz/corpus/<target>/ (committed; small files only).

Run from the repository root:  .venv/bin/python tools/fuzz/make_seed_corpus.py

png, jpeg: a selection of the decoder test inputs (every PNG colour type and bit depth,
Adam7, palette + tRNS, eXIf, 16-bit; JPEG baseline / progressive / restart markers / gray /
CMYK / EXIF) plus a few sample images shrunk with Pillow, seeded so the files are stable.
weights: the small Keras fixtures of Tests/Fixtures/format and Tests/Fixtures/model-errors
(weights-only and full-model layouts, vlen / fixed / space-padded strings, float16 / float64,
chunked + gzip, NaN, Keras 3 layouts, CVR-Net layer names) and of Tests/Fixtures/keras3
(Keras 3 .weights.h5 with and without name attributes, a .keras zip).
dicom: small DICOM test files of Tests/Fixtures/dicom (every transfer syntax cvrnet is tested
with, VOI and Modality LUT sequences, two frames, RGB, a truncated header, no Pixel Data).
"""
import os
import shutil

from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tools", "fuzz", "corpus")
INPUTS = os.path.join(ROOT, "Tests", "Fixtures", "image-inputs")
SAMPLES = os.path.join(ROOT, "Tests", "Fixtures", "sample-images")
FORMAT = os.path.join(ROOT, "Tests", "Fixtures", "format")
MODEL_ERRORS = os.path.join(ROOT, "Tests", "Fixtures", "model-errors")
KERAS3 = os.path.join(ROOT, "Tests", "Fixtures", "keras3")
DICOM = os.path.join(ROOT, "Tests", "Fixtures", "dicom")

PNG_INPUTS = [
    "png-c0-d1-37x29.png", "png-c0-d2-61x45.png", "png-c0-d4-adam7-37x29.png", "png-c0-d8-37x29.png",
    "png-c0-d16-under256-31x33.png", "png-c0-d16-adam7-45x61.png", "png-c2-d8-adam7-37x29.png",
    "png-c2-d16-37x29.png", "png-c3-d1-61x45.png", "png-c3-d2-adam7-37x29.png", "png-c3-d4-37x29.png",
    "png-c4-d8-adam7-37x29.png", "png-c4-d16-37x29.png", "png-c6-d16-adam7-37x29.png",
    "png-palette-trns-33x40.png", "png-gray-trns-50x30.png", "png-short-data-10x12.png",
    "png-no-iend-24x20.png", "png-bad-idat-crc-24x20.png", "png-exif-orientation6-64x40.png",
    "png-100000x100000.png",
]
JPEG_INPUTS = [
    "jpeg-1x1.jpg", "jpeg-420-131x97.jpg", "jpeg-420-progressive-131x97.jpg", "jpeg-420-restart-131x97.jpg",
    "jpeg-422-131x97.jpg", "jpeg-gray-131x97.jpg", "jpeg-exif-orientation8-131x97.jpg", "jpeg-no-eoi.jpg",
    "jpeg-60000x60000.jpg",
]
WEIGHTS = [
    (FORMAT, "tiny_weights.h5"), (FORMAT, "tiny_full.h5"), (FORMAT, "tiny_vlen_f16.h5"),
    (FORMAT, "tiny_fixed_f64.h5"), (FORMAT, "tiny_spacepad.h5"), (FORMAT, "plain.h5"),
    (FORMAT, "nan_weights.h5"), (FORMAT, "keras3_like.h5"), (FORMAT, "missing_weight.h5"),
    (MODEL_ERRORS, "heads-disagree.h5"), (MODEL_ERRORS, "xception-residuals-missing.h5"),
    (MODEL_ERRORS, "stem-kernel-wrong-shape.h5"),
    (KERAS3, "tiny.weights.h5"), (KERAS3, "tiny-noattrs.weights.h5"), (KERAS3, "tiny.keras"),
]
DICOM_INPUTS = [
    "mono2-u12-window.dcm", "mono2-u8-window.dcm", "ct-s16-mediastinum-deflate.dcm", "ct-s16-mediastinum-j2k.dcm",
    "ct-s16-mediastinum-jpeg-lossless.dcm", "ct-s16-mediastinum-jpeg-ls.dcm", "ct-s16-mediastinum-rle.dcm",
    "mono2-u12-voi-lut.dcm", "mono2-u12-modality-lut.dcm", "mono2-u12-multiframe.dcm", "rgb-u8-planar1.dcm",
    "broken-truncated-header.dcm", "broken-no-pixel-data.dcm",
]


def shrink(source, target, size, **save):
    with Image.open(os.path.join(SAMPLES, source)) as image:
        image.resize(size, Image.NEAREST).save(target, **save)


def main():
    for target in ("png", "jpeg", "dicom", "weights"):
        folder = os.path.join(CORPUS, target)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    for name in PNG_INPUTS:
        shutil.copy(os.path.join(INPUTS, name), os.path.join(CORPUS, "png", name))
    for name in JPEG_INPUTS:
        shutil.copy(os.path.join(INPUTS, name), os.path.join(CORPUS, "jpeg", name))
    for folder, name in WEIGHTS:
        shutil.copy(os.path.join(folder, name), os.path.join(CORPUS, "weights", name))
    for name in DICOM_INPUTS:
        shutil.copy(os.path.join(DICOM, name), os.path.join(CORPUS, "dicom", name))

    png = os.path.join(CORPUS, "png")
    shrink("png-rgba8-256x320.png", os.path.join(png, "sample-rgba8-16x20.png"), (16, 20))
    shrink("png-palette4-trns-97x113.png", os.path.join(png, "sample-palette4-trns-12x14.png"), (12, 14))
    shrink("png-rgb8-interlaced-275x263.png", os.path.join(png, "sample-rgb8-adam7-14x13.png"), (14, 13),
           interlace=1)
    shrink("png-gray16-512x480.png", os.path.join(png, "sample-gray16-16x15.png"), (16, 15))
    Image.new("RGB", (1, 1), (200, 100, 50)).save(os.path.join(png, "rgb-1x1.png"))

    jpeg = os.path.join(CORPUS, "jpeg")
    shrink("jpeg-progressive-301x299.jpg", os.path.join(jpeg, "sample-progressive-30x30.jpg"), (30, 30),
           progressive=True, quality=80)
    shrink("jpeg-rgb444-215x227.jpg", os.path.join(jpeg, "sample-444-21x22.jpg"), (21, 22),
           subsampling=0, quality=90)
    with Image.open(os.path.join(SAMPLES, "jpeg-rgb420-320x360.jpg")) as image:
        image.resize((16, 18), Image.NEAREST).convert("CMYK").save(os.path.join(jpeg, "sample-cmyk-16x18.jpg"))

    for target in ("png", "jpeg", "dicom", "weights"):
        folder = os.path.join(CORPUS, target)
        files = sorted(os.listdir(folder))
        total = sum(os.path.getsize(os.path.join(folder, f)) for f in files)
        print(f"{target}: {len(files)} files, {total} bytes")


if __name__ == "__main__":
    main()
