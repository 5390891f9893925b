"""Writes the DICOM test files of the ImageInput tests to Tests/Fixtures/dicom/, with the
8-bit pictures DCMTK's dcmj2pnm renders from them and what Keras makes of those pictures.

Every file is small synthetic data written with pydicom (explicit VR little endian), then
re-encoded into the compressed transfer syntaxes with the Debian tools: dcmcjpeg (JPEG
lossless, process 14 SV1), dcmcjpls (JPEG-LS lossless), dcmcrle (RLE), dcmconv +td
(deflate), gdcmconv --j2k (JPEG 2000 lossless; DCMTK cannot decode it, so its expected
picture is the one of the uncompressed original: the round trip is lossless, checked here).

Colour files (8-bit RGB, YBR_FULL, YBR_FULL_422; both planar configurations; native, RLE,
deflate, JPEG lossless, JPEG baseline 4:2:2, JPEG 2000) have no VOI stage: dcmj2pnm converts
them to RGB, and the colour oracle below reproduces its three conversions (DCMTK dcmimage's
YBR_FULL tables, its YBR_FULL_422 pair formula, libjpeg's YCbCr conversion for JPEG).

For each file:
  - dcmj2pnm writes `<name>.expected.png` with the VOI the cvrnet pipeline chooses: the VOI
    LUT Sequence (+Wl 1) if present, else the first window (+Wi 1), else min-max (+Wm);
    none for colour;
  - a numpy oracle of the PS3.3 C.11 grayscale pipeline (below) must produce the same
    bytes, so two independent implementations agree before cvrnet is compared with them;
  - expected.json records the Keras `img_to_array(load_img(png, target_size=(224, 224)))`
    of that PNG (FNV-1a 64 of the float32 bytes), i.e. what the network sees.

    .venv/bin/python tools/make_dicom_fixtures.py
"""

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from cvrnet_common import ROOT, fnv1a64  # noqa: E402
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "dicom")
RNG = np.random.default_rng(20261201)
ROWS, COLUMNS = 47, 61
RESCALE = "trunc"  # DCMTK stores rescaled values as integers (C cast): matched on cr-slope* files  # not square, not 224: the nearest resize matters



def picture(low, high, rows=ROWS, columns=COLUMNS):
    """A gradient with noise spanning low..high (integers), so every window has edges."""
    y, x = np.mgrid[0:rows, 0:columns]
    base = (x / (columns - 1)) * 0.7 + (y / (rows - 1)) * 0.3
    noise = RNG.normal(0, 0.05, size=(rows, columns))
    values = np.clip(base + noise, 0, 1) * (high - low) + low
    values = np.round(values).astype(np.int64)
    values[0, 0], values[-1, -1] = low, high
    return values


def dataset(values, bits_allocated, bits_stored, signed, photometric="MONOCHROME2", **attributes):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"  # DX for presentation
    meta.MediaStorageSOPInstanceUID = generate_uid(entropy_srcs=[str(sorted(attributes.items())), photometric])
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = attributes.pop("Modality", "DX")
    ds.PatientName = "Synthetic^Test"
    frames = values if values.ndim == 3 else values[None]
    ds.Rows, ds.Columns = frames.shape[1], frames.shape[2]
    if values.ndim == 3:
        ds.NumberOfFrames = frames.shape[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = bits_allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    for key, value in attributes.items():
        setattr(ds, key, value)
    dtype = {(8, False): np.uint8, (16, False): np.uint16, (16, True): np.int16}[(bits_allocated, signed)]
    stored = frames.astype(dtype)
    ds.PixelData = stored.tobytes()
    return ds


def lut_item(first, bits, data, explanation):
    item = Dataset()
    item.add_new(0x00283002, "US", [len(data) % 65536, first, bits])
    item.LUTExplanation = explanation
    item.add_new(0x00283006, "OW", np.asarray(data, dtype="<u2").tobytes())
    return item


def lut_data(item, entries):
    """LUT Data (0028,3006) as integers: OW bytes, or a list where the file has it as US."""
    value = item[0x00283006].value
    words = np.frombuffer(value, dtype="<u2") if isinstance(value, bytes) else np.atleast_1d(value)
    return np.asarray(words, dtype=np.int64)[:entries]


# ----------------------------------------------------------------------------------------
# The oracle: PS3.3 C.11 grayscale pipeline, written to match dcmj2pnm (DCMTK 3.6.7)
# ----------------------------------------------------------------------------------------

def oracle(path):
    ds = pydicom.dcmread(path)
    frame = ds.pixel_array
    if getattr(ds, "NumberOfFrames", 1) > 1:
        frame = frame[0]
    bits_stored = ds.BitsStored
    stored = frame.astype(np.int64) & ((1 << bits_stored) - 1)
    if ds.PixelRepresentation == 1:
        stored = np.where(stored >= 1 << (bits_stored - 1), stored - (1 << bits_stored), stored)

    # Modality: LUT sequence, else rescale. DCMTK keeps the rescaled values as integers when
    # slope and intercept are integers, and as doubles otherwise (no truncation: checked here).
    if "ModalityLUTSequence" in ds:
        item = ds.ModalityLUTSequence[0]
        entries, first, bits = item.LUTDescriptor
        entries = entries or 65536
        data = lut_data(item, entries)
        x = data[np.clip(stored - first, 0, entries - 1)].astype(np.float64)
    else:
        slope = float(getattr(ds, "RescaleSlope", 1.0))
        intercept = float(getattr(ds, "RescaleIntercept", 0.0))
        x = stored * slope + intercept
        if RESCALE == "trunc":
            x = np.trunc(x)
        elif RESCALE == "floor":
            x = np.floor(x)
        elif RESCALE == "round":
            x = np.round(x)

    inverse = ds.PhotometricInterpretation == "MONOCHROME1"
    if getattr(ds, "PresentationLUTShape", "IDENTITY") == "INVERSE":
        inverse = not inverse

    if "VOILUTSequence" in ds:
        item = ds.VOILUTSequence[0]
        entries, first, bits = item.LUTDescriptor
        entries = entries or 65536
        data = lut_data(item, entries)
        index = np.clip(np.floor(x).astype(np.int64) - first, 0, entries - 1)
        return output(data[index].astype(np.float64), bits, inverse)

    if "WindowCenter" in ds:
        center = float(np.atleast_1d(ds.WindowCenter)[0])
        width = float(np.atleast_1d(ds.WindowWidth)[0])
        function = getattr(ds, "VOILUTFunction", "LINEAR")
    else:
        # dcmj2pnm +Wm: centre (min + max + 1) / 2, width max - min + 1, LINEAR.
        lo, hi = float(x.min()), float(x.max())
        center, width, function = (lo + hi + 1) / 2, hi - lo + 1, "LINEAR"
    return window(x, center, width, function, inverse)


def window(x, center, width, function, inverse):
    """DCMTK's arithmetic (dcmimgle DiMonoOutputPixelTemplate, no presentation or display LUT):
    the same expressions in the same order, then a C cast (truncation) to 8 bits."""
    low, high = (255.0, 0.0) if inverse else (0.0, 255.0)
    outrange = high - low
    if function == "SIGMOID":
        return np.trunc(low + outrange / (1 + np.exp(-4 * (x - center) / width))).astype(np.uint8)
    if function == "LINEAR_EXACT":  # PS3.3 C.11.2.1.3.2; dcmj2pnm 3.6.7 renders it as LINEAR
        y = np.where(x <= center - width / 2, low,
                     np.where(x > center + width / 2, high, ((x - center) / width + 0.5) * outrange + low))
        return np.trunc(y).astype(np.uint8)
    width1 = width - 1
    left = center - 0.5 - width1 / 2
    right = center - 0.5 + width1 / 2
    offset = high - ((center - 0.5) / width1 + 0.5) * outrange
    gradient = outrange / width1
    y = np.where(x <= left, low, np.where(x > right, high, offset + x * gradient))
    return np.trunc(y).astype(np.uint8)


def output(lut_values, bits, inverse):
    """A VOI LUT's values to 8 bits: DCMTK's gradient is 256 / 2^bits (output range
    high - low + 1 over the LUT's range), i.e. value >> (bits - 8) for bits >= 8. Inversion
    (MONOCHROME1, INVERSE shape) is applied to that, 255 - v: no fixture checks it against
    DCMTK."""
    y = np.trunc(lut_values * (256.0 / float(1 << bits)))
    y = np.clip(y, 0, 255)
    return (255 - y if inverse else y).astype(np.uint8)


# ----------------------------------------------------------------------------------------
# The colour oracle: dcmj2pnm's YBR -> RGB conversions (RGB is shown as stored)
# ----------------------------------------------------------------------------------------

JPEG_SYNTAXES = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
                 "1.2.840.10008.1.2.4.70"}


def colour_oracle(path, lossless_source=None):
    """Frame 1 as pydicom decodes it without colour conversion (4:2:2 upsampled by repeating
    each pair's chroma, JPEG baseline by Pillow's libjpeg), then the conversion dcmj2pnm
    applies. `lossless_source`: the file's values are those of this uncompressed file
    (pydicom has no JPEG lossless decoder here; the round trip is checked lossless)."""
    from pydicom.pixels import pixel_array
    ds = pydicom.dcmread(path)
    frame = pixel_array(lossless_source or ds, index=0, raw=True).astype(np.int64)
    if ds.PhotometricInterpretation == "RGB":
        return frame.astype(np.uint8)
    if str(ds.file_meta.TransferSyntaxUID) in JPEG_SYNTAXES:
        return ybr_libjpeg(frame)
    if ds.PhotometricInterpretation == "YBR_FULL_422":
        return ybr_dcmtk_double(frame)
    return ybr_dcmtk_tables(frame)


def ybr_dcmtk_tables(ybr):
    """dcmimage DiYBRPixelTemplate, 8-bit unsigned: four Sint16 tables of C-cast doubles."""
    level = np.arange(256, dtype=np.float64)
    rcr = np.trunc(1.4020 * level - 0.7010 * 255).astype(np.int64)
    gcb = np.trunc(0.3441 * level).astype(np.int64)
    gcr = np.trunc(0.7141 * level - 0.5291 * 255).astype(np.int64)
    bcb = np.trunc(1.7720 * level - 0.8859 * 255).astype(np.int64)
    y, cb, cr = ybr[..., 0], ybr[..., 1], ybr[..., 2]
    rgb = np.stack([y + rcr[cr], y - gcb[cb] - gcr[cr], y + bcb[cb]], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def ybr_dcmtk_double(ybr):
    """dcmimage DiYBR422PixelTemplate::convertValue: the whole sum in double, clamped, C cast."""
    y, cb, cr = [ybr[..., k].astype(np.float64) for k in range(3)]
    rgb = np.stack([y + 1.4020 * cr - 0.7010 * 255, y - 0.3441 * cb - 0.7141 * cr + 0.5291 * 255,
                    y + 1.7720 * cb - 0.8859 * 255], axis=-1)
    return np.trunc(np.clip(rgb, 0, 255)).astype(np.uint8)


def ybr_libjpeg(ybr):
    """libjpeg jdcolor.c ycc_rgb_convert: SCALEBITS 16 fixed point, ONE_HALF rounding."""
    scale, half = 16, 1 << 15
    fix = lambda v: int(v * (1 << scale) + 0.5)
    x = np.arange(256, dtype=np.int64) - 128
    cr_r = (fix(1.40200) * x + half) >> scale
    cb_b = (fix(1.77200) * x + half) >> scale
    cr_g = -fix(0.71414) * x
    cb_g = -fix(0.34414) * x + half
    y, cb, cr = ybr[..., 0], ybr[..., 1], ybr[..., 2]
    rgb = np.stack([y + cr_r[cr], y + ((cb_g[cb] + cr_g[cr]) >> scale), y + cb_b[cb]], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def ybr_from_rgb(rgb):
    """PS3.3 C.7.6.3.1.2 YBR_FULL from RGB, rounded (how the test pictures are made)."""
    r, g, b = [rgb[..., k].astype(np.float64) for k in range(3)]
    ybr = np.stack([0.2990 * r + 0.5870 * g + 0.1140 * b, -0.1687 * r - 0.3313 * g + 0.5000 * b + 128,
                    0.5000 * r - 0.4187 * g - 0.0813 * b + 128], axis=-1)
    return np.clip(np.round(ybr), 0, 255).astype(np.uint8)


COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422")


def colour_dataset(photometric, planar, pixel_bytes, rows, columns):
    ds = dataset(np.zeros((rows, columns), dtype=np.int64), 8, 8, False, photometric, Modality="OT")
    ds.SamplesPerPixel = 3
    ds.PlanarConfiguration = planar
    ds.PixelData = pixel_bytes
    uid = generate_uid(entropy_srcs=[photometric, str(planar), str(columns)])
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid
    return ds


# ----------------------------------------------------------------------------------------

def cases():
    """(name, dataset) of the uncompressed files."""
    out = []
    v12 = picture(0, 4095)
    out.append(("mono2-u12-window", dataset(v12, 16, 12, False, WindowCenter="2000", WindowWidth="3000")))
    out.append(("mono1-u12-window", dataset(v12, 16, 12, False, "MONOCHROME1", WindowCenter="1800", WindowWidth="2500")))
    out.append(("mono2-u12-minmax", dataset(picture(300, 3500), 16, 12, False)))
    out.append(("mono1-u16-minmax", dataset(picture(1000, 60000), 16, 16, False, "MONOCHROME1")))
    ct = picture(-1024, 2000) + 1024
    out.append(("ct-u16-rescale-lung", dataset(ct, 16, 12, False, Modality="CT", RescaleSlope="1",
                                                  RescaleIntercept="-1024", WindowCenter="-600\\40",
                                                  WindowWidth="1500\\400")))
    out.append(("ct-s16-mediastinum", dataset(picture(-1024, 2000), 16, 16, True, Modality="CT", RescaleSlope="1",
                                                 RescaleIntercept="0", WindowCenter="40", WindowWidth="400")))
    out.append(("mono2-s12-minmax", dataset(picture(-2048, 2047), 16, 12, True)))
    out.append(("cr-slope0.684-window", dataset(picture(0, 4095), 16, 12, False, Modality="CR", RescaleSlope="0.684",
                                                   RescaleIntercept="-3.5", WindowCenter="1200", WindowWidth="2100")))
    out.append(("cr-slope2.5-minmax", dataset(picture(100, 3000), 16, 12, False, Modality="CR", RescaleSlope="2.5",
                                                 RescaleIntercept="10")))
    out.append(("mono2-u12-sigmoid", dataset(v12, 16, 12, False, WindowCenter="2048", WindowWidth="1200",
                                              VOILUTFunction="SIGMOID")))
    out.append(("mono2-u12-linear-exact", dataset(v12, 16, 12, False, WindowCenter="2047.5", WindowWidth="3001",
                                                   VOILUTFunction="LINEAR_EXACT")))
    out.append(("mono2-u12-presentation-inverse", dataset(v12, 16, 12, False, WindowCenter="2000", WindowWidth="3000",
                                                           PresentationLUTShape="INVERSE")))
    out.append(("mono2-u8-window", dataset(picture(20, 230), 8, 8, False, WindowCenter="128", WindowWidth="180")))
    # VOI LUT sequence: a gamma-like 12-bit curve over stored values 500..3499.
    voi = (np.linspace(0, 1, 3000) ** 0.6 * 4095).round().astype(int)
    out.append(("mono2-u12-voi-lut", dataset(v12, 16, 12, False, WindowCenter="2000", WindowWidth="10",
                                              VOILUTSequence=Sequence([lut_item(500, 12, voi, "GAMMA")]))))
    # Modality LUT sequence: a piecewise curve to 0..1023, then a window on its output.
    stored = np.arange(4096)
    mlut = np.clip((stored - 200) // 3, 0, 1023)
    ds = dataset(v12, 16, 12, False, WindowCenter="600", WindowWidth="900")
    ml = lut_item(0, 10, mlut, "STEPS")
    ml.ModalityLUTType = "US"
    ds.ModalityLUTSequence = Sequence([ml])
    out.append(("mono2-u12-modality-lut", ds))
    # Two frames: frame 1 is the picture, frame 2 its negative.
    frames = np.stack([v12, 4095 - v12])
    out.append(("mono2-u12-multiframe", dataset(frames, 16, 12, False, WindowCenter="2000", WindowWidth="3000")))
    # 8-bit RGB, both planar configurations (shown as stored).
    rgb = np.stack([picture(0, 255), picture(0, 255)[::-1], picture(0, 255)[:, ::-1]], axis=-1)
    for planar in (0, 1):
        ds = dataset(picture(0, 255), 8, 8, False, "RGB")
        ds.SamplesPerPixel = 3
        ds.PlanarConfiguration = planar
        ds.PixelData = (rgb if planar == 0 else np.moveaxis(rgb, -1, 0)).astype(np.uint8).tobytes()
        out.append((f"rgb-u8-planar{planar}", ds))
    # YBR_FULL of a picture spanning the whole colour range (saturated corners clamp), both
    # planar configurations.
    y, x = np.mgrid[0:ROWS, 0:COLUMNS]
    vivid = np.stack([x * 255 // (COLUMNS - 1), y * 255 // (ROWS - 1), 255 - x * 255 // (COLUMNS - 1)], axis=-1)
    vivid = np.clip(vivid + RNG.integers(-40, 41, size=vivid.shape), 0, 255)
    ybr = ybr_from_rgb(vivid)
    for planar in (0, 1):
        data = ybr if planar == 0 else np.moveaxis(ybr, -1, 0)
        out.append((f"ybr-full-planar{planar}", colour_dataset("YBR_FULL", planar, data.tobytes(), ROWS, COLUMNS)))
    # Native YBR_FULL_422 (even width): Y1 Y2 Cb Cr per pair, chroma the pair's mean.
    pairs = ybr[:, :COLUMNS - 1].astype(np.int64).reshape(ROWS, (COLUMNS - 1) // 2, 2, 3)
    packed = np.concatenate([pairs[..., 0], np.round(pairs[..., 1:].mean(axis=2))], axis=-1)
    out.append(("ybr-full-422", colour_dataset("YBR_FULL_422", 0, packed.astype(np.uint8).tobytes(), ROWS, COLUMNS - 1)))
    return out


COMPRESSORS = {
    "jpeg-lossless": (["dcmcjpeg", "+e1"], True),
    "jpeg-ls": (["dcmcjpls"], False),  # dcmj2pnm as packaged has no JPEG-LS decoder
    "rle": (["dcmcrle"], True),
    "deflate": (["dcmconv", "+td"], True),
    "j2k": (["gdcmconv", "--j2k"], False),  # DCMTK as packaged cannot decode JPEG 2000
}
COMPRESSED_SOURCES = {"mono2-u12-window": list(COMPRESSORS), "ct-s16-mediastinum": list(COMPRESSORS),
                      "mono1-u16-minmax": list(COMPRESSORS),
                      # Colour: JPEG-LS is left out (neither dcmj2pnm as packaged nor a colour
                      # rule of DCMTK's to follow); JPEG lossless of YBR is converted by libjpeg in
                      # dcmj2pnm, so its picture is its own, not the native file's.
                      "rgb-u8-planar0": ["jpeg-lossless", "rle", "deflate", "j2k"],
                      "ybr-full-planar0": ["jpeg-lossless", "rle", "deflate", "j2k"],
                      "rgb-u8-planar1": ["rle"], "ybr-full-planar1": ["rle"]}
# Lossy: JPEG baseline 4:2:2 (dcmcjpeg +eb writes YBR_FULL_422) from the RGB picture.
LOSSY = {"ybr-full-422-jpeg-baseline": ("rgb-u8-planar0", ["dcmcjpeg", "+eb"])}


def dcmj2pnm_voi(ds):
    """dcmj2pnm's VOI options for what cvrnet does by default (--dicom-window file)."""
    if ds.PhotometricInterpretation in COLOUR:
        return []
    if "VOILUTSequence" in ds:
        return ["+Wl", "1"]
    if "WindowCenter" in ds:
        return ["+Wi", "1"]
    return ["+Wm"]


def dcmj2pnm(path, png, ds):
    voi = dcmj2pnm_voi(ds)
    subprocess.run(["dcmj2pnm", "--write-png", *voi, path, png], check=True, capture_output=True)
    return voi


def keras_input_hash(png):
    from tf_keras.preprocessing.image import img_to_array, load_img  # the notebook's load_img
    array = img_to_array(load_img(png, target_size=(224, 224)))
    return fnv1a64(np.ascontiguousarray(array, dtype="<f4").tobytes())


def broken(expected):
    """Bad DICOM files: each must give one clear error line, never a crash."""
    src = os.path.join(OUT_DIR, "mono2-u12-window.dcm")
    data = open(src, "rb").read()
    cases = {}

    def write(name, payload, kind, reason):
        with open(os.path.join(OUT_DIR, name), "wb") as f:
            f.write(payload)
        cases[name] = {"error": kind, "reason": reason}

    write("broken-truncated-header.dcm", data[:300], "corrupt", "cut inside the attributes")
    write("broken-truncated-pixels.dcm", data[: len(data) - 2000], "corrupt", "Pixel Data shorter than declared")
    j2k = open(os.path.join(OUT_DIR, "mono2-u12-window-j2k.dcm"), "rb").read()
    write("broken-truncated-j2k.dcm", j2k[: len(j2k) - len(j2k) // 3], "corrupt", "JPEG 2000 stream cut")

    def variant(name, kind, reason, **changes):
        ds = pydicom.dcmread(src)
        for key, value in changes.items():
            if value is None:
                delattr(ds, key)
            else:
                setattr(ds, key, value)
        ds.save_as(os.path.join(OUT_DIR, name), enforce_file_format=True)
        cases[name] = {"error": kind, "reason": reason}

    variant("broken-no-pixel-data.dcm", "unsupported", "no Pixel Data element", PixelData=None)
    variant("broken-bits-stored-20.dcm", "any", "Bits Stored > Bits Allocated", BitsStored=20, HighBit=19)
    variant("broken-zero-rows.dcm", "any", "Rows 0", Rows=0)
    variant("broken-huge-size.dcm", "any", "65535 x 65535 declared, 6 kB stored", Rows=65535, Columns=65535)
    variant("broken-palette-color.dcm", "unsupported", "PALETTE COLOR not read", PhotometricInterpretation="PALETTE COLOR",
            BitsAllocated=8, BitsStored=8, HighBit=7, PixelData=bytes(ROWS * COLUMNS))
    variant("broken-rgb-u16.dcm", "unsupported", "16-bit colour not read", PhotometricInterpretation="RGB",
            SamplesPerPixel=3, PixelData=bytes(6 * ROWS * COLUMNS), PlanarConfiguration=0)
    variant("broken-ybr-422-odd-width.dcm", "unsupported", "native YBR_FULL_422 with an odd number of columns",
            PhotometricInterpretation="YBR_FULL_422", SamplesPerPixel=3, BitsAllocated=8, BitsStored=8, HighBit=7,
            PixelData=bytes(2 * ROWS * COLUMNS + 1), PlanarConfiguration=0)
    ds = pydicom.dcmread(src)
    item = lut_item(0, 12, np.arange(100), "SHORT")
    item.LUTDescriptor = [4096, 0, 12]  # declares 4096 entries, holds 100
    ds.VOILUTSequence = Sequence([item])
    ds.save_as(os.path.join(OUT_DIR, "broken-voi-lut-short.dcm"), enforce_file_format=True)
    cases["broken-voi-lut-short.dcm"] = {"error": "corrupt", "reason": "LUT descriptor does not match its data"}
    expected["broken"] = cases


def compare(name, dcmtk, ours):
    """Largest difference between dcmj2pnm's picture and the oracle's, printed when not 0."""
    if dcmtk.shape != ours.shape:
        print(f"{name}: dcmj2pnm {dcmtk.shape}, oracle {ours.shape}")
        return 255
    diff = int(np.abs(dcmtk.astype(int) - ours.astype(int)).max())
    if diff:
        print(f"{name}: oracle differs from dcmj2pnm by up to {diff} at {np.argwhere(dcmtk != ours)[:3].tolist()}")
    return diff


def main():
    if os.path.isdir(OUT_DIR):
        for name in os.listdir(OUT_DIR):
            if name.endswith((".dcm", ".png", ".json")) or "." not in name:  # README.md stays
                os.remove(os.path.join(OUT_DIR, name))
    os.makedirs(OUT_DIR, exist_ok=True)
    expected = {"files": {}}
    worst = 0
    for name, ds in cases():
        path = os.path.join(OUT_DIR, name + ".dcm")
        ds.save_as(path, enforce_file_format=True)
        png = os.path.join(OUT_DIR, name + ".expected.png")
        voi = dcmj2pnm(path, png, ds)
        dcmtk = np.asarray(Image.open(png))
        ours = colour_oracle(path) if ds.PhotometricInterpretation in COLOUR else oracle(path)
        diff = int(np.abs(dcmtk.astype(int) - ours.astype(int)).max())
        entry = {}
        if name.endswith("linear-exact"):
            # The one documented difference: the oracle's picture is the expectation, and
            # how far dcmj2pnm (LINEAR) is from it is recorded.
            entry["dcmj2pnm_max_difference"] = diff
            png = os.path.join(OUT_DIR, name + ".oracle.png")
            Image.fromarray(ours).save(png)
            diff = 0
        worst = max(worst, diff)
        if diff:
            bad = np.argwhere(dcmtk != ours)[:3]
            print(f"{name}: oracle differs from dcmj2pnm by up to {diff} at {bad.tolist()}:"
                  f" dcmtk {[int(dcmtk[tuple(b)]) for b in bad]} oracle {[int(ours[tuple(b)]) for b in bad]}")
        entry.update({"expected_png": os.path.basename(png), "dcmj2pnm_voi": " ".join(voi),
                      "transfer_syntax": "explicit VR little endian", "photometric": ds.PhotometricInterpretation,
                      "input_fnv1a64": keras_input_hash(png)})
        expected["files"][name + ".dcm"] = entry
    for source, suffixes in COMPRESSED_SOURCES.items():
        src = os.path.join(OUT_DIR, source + ".dcm")
        reference = np.asarray(Image.open(os.path.join(OUT_DIR, source + ".expected.png")))
        colour = pydicom.dcmread(src).PhotometricInterpretation in COLOUR
        for suffix in suffixes:
            command, dcmtk_decodes = COMPRESSORS[suffix]
            name = f"{source}-{suffix}.dcm"
            path = os.path.join(OUT_DIR, name)
            subprocess.run([*command, src, path], check=True, capture_output=True)
            back = pydicom.dcmread(path)
            with tempfile.TemporaryDirectory() as tmp:  # GDCM decompresses it again
                raw = os.path.join(tmp, "raw.dcm")
                subprocess.run(["gdcmconv", "--raw", path, raw], check=True, capture_output=True)
                # Values, not bytes: GDCM writes RLE colour back interleaved (planar configuration 0).
                from pydicom.pixels import pixel_array
                same = np.array_equal(pixel_array(raw, raw=True), pixel_array(src, raw=True))
            assert same, f"{name}: the lossless round trip changed the pixel data"
            entry = dict(expected["files"][source + ".dcm"])
            own = colour and back.PhotometricInterpretation != "RGB" and suffix == "jpeg-lossless"
            if own:  # dcmj2pnm lets libjpeg convert this YCbCr: the picture is the file's own
                png = os.path.join(OUT_DIR, f"{source}-{suffix}.expected.png")
                dcmj2pnm(path, png, back)
                worst = max(worst, compare(name, np.asarray(Image.open(png)), colour_oracle(path, src)))
                entry["expected_png"] = os.path.basename(png)
                entry["input_fnv1a64"] = keras_input_hash(png)
            elif dcmtk_decodes:
                with tempfile.TemporaryDirectory() as tmp:
                    png = os.path.join(tmp, "x.png")
                    dcmj2pnm(path, png, back)
                    assert np.array_equal(np.asarray(Image.open(png)), reference), f"{name}: dcmj2pnm differs"
            entry["transfer_syntax"] = str(back.file_meta.TransferSyntaxUID.name)
            entry["decoded_by_dcmj2pnm"] = dcmtk_decodes
            expected["files"][name] = entry
    for name, (source, command) in LOSSY.items():
        path = os.path.join(OUT_DIR, name + ".dcm")
        subprocess.run([*command, os.path.join(OUT_DIR, source + ".dcm"), path], check=True, capture_output=True)
        back = pydicom.dcmread(path)
        png = os.path.join(OUT_DIR, name + ".expected.png")
        voi = dcmj2pnm(path, png, back)
        worst = max(worst, compare(name, np.asarray(Image.open(png)), colour_oracle(path)))
        expected["files"][name + ".dcm"] = {
            "expected_png": os.path.basename(png), "dcmj2pnm_voi": " ".join(voi),
            "transfer_syntax": str(back.file_meta.TransferSyntaxUID.name), "photometric": back.PhotometricInterpretation,
            "input_fnv1a64": keras_input_hash(png)}
    # The user's --dicom-window choices, rendered by dcmj2pnm +Ww C W / +Wm.
    expected["window_choices"] = []
    for source, choice, voi in [("ct-s16-mediastinum.dcm", "lung", ["+Ww", "-600", "1500"]),
                                ("ct-u16-rescale-lung.dcm", "40,400", ["+Ww", "40", "400"]),
                                ("mono2-u12-window.dcm", "minmax", ["+Wm"]),
                                ("mono1-u12-window.dcm", "minmax", ["+Wm"])]:
        png = source.replace(".dcm", f".{choice.replace(',', '_')}.expected.png")
        subprocess.run(["dcmj2pnm", "--write-png", *voi, os.path.join(OUT_DIR, source), os.path.join(OUT_DIR, png)],
                       check=True, capture_output=True)
        expected["window_choices"].append({"file": source, "window": choice, "expected_png": png})
    broken(expected)
    # A PACS export without extension: the DICM signature alone identifies it.
    shutil.copy(os.path.join(OUT_DIR, "mono2-u12-window.dcm"), os.path.join(OUT_DIR, "IM000001"))
    expected["files"]["IM000001"] = expected["files"]["mono2-u12-window.dcm"]
    if worst:
        raise SystemExit(f"the oracle differs from dcmj2pnm by up to {worst}: fix the oracle before anything else")
    expected["oracle_vs_dcmj2pnm_max_difference"] = worst
    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT_DIR, n)) for n in os.listdir(OUT_DIR))
    print(f"{len(expected['files'])} DICOM files, {total} bytes; oracle vs dcmj2pnm max difference {worst}")


if __name__ == "__main__":
    main()
