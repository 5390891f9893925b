"""Writes the small PNG/JPEG test inputs of the ImageInput tests to Tests/Fixtures/image-inputs/.

Beyond the sample images (tools/make_sample_images.py) the decoder tests need every PNG
colour type and bit depth, interlaced and not, palettes shorter than their indices, tRNS,
16-bit values on both sides of 255, CMYK and restart-marker JPEGs, EXIF orientation in PNG
and JPEG, and broken files (truncated, bad CRC, bad zlib checksum, absurd dimensions, text
named .png, an empty file). Pictures are seeded noise over smooth gradients, kept small.

expected.json records, for every file, what Keras/PIL make of it:
  - images: PIL's mode, size, FNV-1a 64 over the uint8 bytes of convert("RGB") ("rgb_fnv1a64"),
    FNV-1a 64 over the float32 little-endian bytes of
    img_to_array(load_img(path, target_size=(224, 224))) ("input_fnv1a64"), the notes the Swift
    loader must report, and for 16-bit files the RGB bytes under the optional rescale policy;
  - errors: PIL's exception and the ImageInputError kind the Swift loader must throw;
  - nearest_indices: Pillow's NEAREST source index for every output index, sides -> 224;
  - preprocessing: keras imagenet_utils.preprocess_input results for one image;
  - target_size_150x100: load_img with a non-square target.

    .venv/bin/python tools/make_image_test_inputs.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import warnings  # noqa: E402
import zlib  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from cvrnet_common import ROOT, fnv1a64  # noqa: E402
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "image-inputs")
SEED = 1234
RNG = np.random.default_rng(SEED)
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 8, 0, 8), (0, 8, 4, 8), (4, 8, 0, 4), (0, 4, 2, 4), (2, 4, 0, 2), (0, 2, 1, 2), (1, 2, 0, 1)]


# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------


def chunk(kind: bytes, body: bytes, crc_xor: int = 0) -> bytes:
    crc = (zlib.crc32(kind + body) ^ crc_xor) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(raw: bytes, prev: bytes, bpp: int, kind: int) -> bytes:
    out = bytearray(len(raw))
    for i, x in enumerate(raw):
        a = raw[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
        out[i] = (x - pred) & 255
    return bytes([kind]) + bytes(out)


def pack_row(samples, depth: int) -> bytes:
    if depth == 16:
        return b"".join(struct.pack(">H", int(s)) for s in samples)
    if depth == 8:
        return bytes(int(s) for s in samples)
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        group = list(samples[i:i + per]) + [0] * (per - len(samples[i:i + per]))
        v = 0
        for s in group:
            v = (v << depth) | int(s)
        out.append(v)
    return bytes(out)


def encode_png(samples, depth, color_type, interlace=False, plte=None, trns=None, extra_before=b"",
               idat_parts=1):
    """A PNG from an (h, w, channels) integer array; rows filtered with all five filter types."""
    h, w, ch = samples.shape
    bpp = max(1, depth * ch // 8)

    def rows(sub):
        data, prev = b"", None
        for y, r in enumerate(sub):
            raw = pack_row(r.reshape(-1), depth)
            prev = prev if prev is not None else bytes(len(raw))
            data += filter_row(raw, prev, bpp, y % 5)
            prev = raw
        return data

    if interlace:
        data = b"".join(rows(samples[ys::yi, xs::xi]) for ys, yi, xs, xi in ADAM7
                        if samples[ys::yi, xs::xi].size)
    else:
        data = rows(samples)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0,
                                                             1 if interlace else 0))
    out += extra_before
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    z = zlib.compress(data, 9)
    step = max(1, -(-len(z) // idat_parts))
    for i in range(0, len(z), step):
        out += chunk(b"IDAT", z[i:i + step])
    return out + chunk(b"IEND", b"")


def smooth(h, w, ch, maximum, noise=0.02):
    """Gradients plus noise, so resizing and compression both have something to do."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for c in range(ch):
        base = (np.sin(xx / (7 + 3 * c)) + np.cos(yy / (5 + 2 * c)) + 2) / 4
        planes.append(base)
    a = np.stack(planes, -1) + RNG.normal(0, noise, (h, w, ch))
    return np.clip(np.rint(a * maximum), 0, maximum).astype(np.int64)


def rgb_of_rescale(samples, color_type):
    """What the rescale policy gives for 16-bit samples: (v * 255 + 32767) // 65535, alpha dropped."""
    v = (samples.astype(np.int64) * 255 + 32767) // 65535
    if color_type in (0, 4):
        v = np.repeat(v[..., :1], 3, axis=-1)
    else:
        v = v[..., :3]
    return v.astype(np.uint8)


# ----------------------------------------------------------------------------------------
# The inputs
# ----------------------------------------------------------------------------------------

def png_inputs():
    """(name, bytes, notes, extra) for every PNG variant."""
    items = []
    combos = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8),
              (4, 8), (4, 16), (6, 8), (6, 16)]
    sizes = [(37, 29), (61, 45), (260, 230)]
    for index, (color_type, depth) in enumerate(combos):
        for interlace in (False, True):
            w, h = sizes[(index + interlace) % len(sizes)]
            if CHANNELS[color_type] * depth > 8 and w > 224:
                w, h = 45, 61  # keep the wide-sample files small; the others cover downscaling
            ch = CHANNELS[color_type]
            maximum = (1 << depth) - 1
            samples = smooth(h, w, ch, maximum, noise=0.02 if w < 224 else 0.005)
            if (color_type, depth) == (0, 16):
                # Values around 255: some clip, most do not (load_img clips at 255).
                samples = smooth(h, w, ch, 400 if interlace else 65535)
            plte = trns = None
            notes = []
            if color_type == 3:
                entries = max(1, (1 << depth) - 1)  # one index past the palette: black in PIL
                plte = RNG.integers(0, 256, entries * 3).astype(np.uint8).tobytes()
            if color_type in (4, 6):
                notes.append("alphaDropped")
            if depth == 16:
                if color_type == 0:
                    if samples.max() > 255:
                        notes.append(f"sixteenBitClipped:{int(samples.max())}")
                else:
                    notes.append("sixteenBitHighByteKept")
            name = f"png-c{color_type}-d{depth}{'-adam7' if interlace else ''}-{w}x{h}.png"
            extra = {"rescale": rgb_of_rescale(samples, color_type)} if depth == 16 else {}
            items.append((name, encode_png(samples, depth, color_type, interlace, plte, trns,
                                           idat_parts=1 + index % 3), notes, extra))

    # Palette with tRNS (alpha per entry) and gray with a tRNS colour: transparency ignored.
    samples = RNG.integers(0, 16, (40, 33, 1))
    plte = RNG.integers(0, 256, 16 * 3).astype(np.uint8).tobytes()
    items.append(("png-palette-trns-33x40.png",
                  encode_png(samples, 4, 3, plte=plte, trns=bytes(range(0, 256, 32))),
                  ["transparencyIgnored"], {}))
    samples = smooth(30, 50, 1, 255)
    items.append(("png-gray-trns-50x30.png", encode_png(samples, 8, 0, trns=struct.pack(">H", 128)),
                  ["transparencyIgnored"], {}))
    # 16-bit gray whose values all stay <= 255: nothing clipped, no note.
    samples = smooth(33, 31, 1, 255)
    items.append(("png-c0-d16-under256-31x33.png", encode_png(samples, 16, 0), [],
                  {"rescale": rgb_of_rescale(samples, 0)}))
    # EXIF orientation 6 in an eXIf chunk (PIL writes it; load_img ignores it).
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    Image.fromarray(smooth(40, 64, 3, 255).astype(np.uint8)).save(buf, "PNG", exif=exif)
    items.append(("png-exif-orientation6-64x40.png", buf.getvalue(), ["exifOrientationIgnored:6"], {}))
    # Exactly 224 x 224: load_img copies it unchanged.
    buf = io.BytesIO()
    Image.fromarray(smooth(224, 224, 3, 255, noise=0.0).astype(np.uint8)).save(buf, "PNG")
    items.append(("png-rgb-224x224.png", buf.getvalue(), [], {}))
    # A bad CRC on the IDAT chunk: PIL never checks IDAT CRCs, so the image loads.
    good = encode_png(smooth(20, 24, 3, 255), 8, 2)
    pos = good.index(b"IDAT") - 4
    length = struct.unpack(">I", good[pos:pos + 4])[0]
    crc_at = pos + 8 + length
    bad = good[:crc_at] + bytes(b ^ 0xFF for b in good[crc_at:crc_at + 4]) + good[crc_at + 4:]
    items.append(("png-bad-idat-crc-24x20.png", bad, ["checksumErrorsIgnored:1"], {}))
    # The zlib stream ends two rows early (and properly): PIL leaves those rows black.
    samples = smooth(12, 10, 3, 255)
    raw = b"".join(b"\x00" + pack_row(r.reshape(-1), 8) for r in samples[:10])
    short = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 12, 8, 2, 0, 0, 0))
             + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    items.append(("png-short-data-10x12.png", short, ["imageDataEndedEarly:2"], {}))
    # No IEND and no final CRC: PIL does not need them once the rows are decoded.
    cut = good[:crc_at]
    items.append(("png-no-iend-24x20.png", cut, [], {}))
    return items


def jpeg_inputs():
    items = []
    base = smooth(97, 131, 3, 255).astype(np.uint8)

    def save(name, image, notes=(), **kw):
        buf = io.BytesIO()
        image.save(buf, "JPEG", **kw)
        items.append((name, buf.getvalue(), list(notes), {}))

    rgb = Image.fromarray(base)
    save("jpeg-444-131x97.jpg", rgb, quality=92, subsampling=0)
    save("jpeg-422-131x97.jpg", rgb, quality=85, subsampling=1)
    save("jpeg-420-131x97.jpg", rgb, quality=75, subsampling=2)
    save("jpeg-420-progressive-131x97.jpg", rgb, quality=80, subsampling=2, progressive=True)
    save("jpeg-420-restart-131x97.jpg", rgb, quality=80, subsampling=2, restart_marker_blocks=2)
    save("jpeg-gray-131x97.jpg", rgb.convert("L"), quality=90)
    save("jpeg-cmyk-131x97.jpg", rgb.convert("CMYK"), ["cmykConverted"], quality=90)
    big = Image.fromarray(smooth(300, 400, 3, 255).astype(np.uint8))
    save("jpeg-420-400x300.jpg", big, quality=70)
    save("jpeg-1x1.jpg", Image.new("RGB", (1, 1), (200, 30, 90)), quality=95)
    exif = Image.Exif()
    exif[0x0112] = 8
    save("jpeg-exif-orientation8-131x97.jpg", rgb, ["exifOrientationIgnored:8"], quality=85, exif=exif)
    # Entropy-coded data cut short and followed by EOI: libjpeg warns ("premature end of data
    # segment") and fills the rest in, as in PIL, which accepts the file.
    buf = io.BytesIO()
    big.save(buf, "JPEG", quality=70)
    data = buf.getvalue()
    cut = data.index(b"\xff\xda") + 6000
    while data[cut - 1] == 0xFF:
        cut -= 1
    items.append(("jpeg-cut-scan-400x300.jpg", data[:cut] + b"\xff\xd9", ["decoderWarnings"], {}))
    return items


def error_inputs(png_bytes: bytes, jpeg_bytes: bytes):
    """(name, bytes, expected kind, expected words of the Swift message)."""
    items = [
        ("empty.png", b"", "emptyFile", "empty file"),
        ("text-named.png", b"This is a text file, not an image.\n", "unknownFormat", "54 68 69 73"),
        ("png-truncated.png", png_bytes[:len(png_bytes) // 2], "truncated", "before the image is complete"),
        ("jpeg-truncated.jpg", jpeg_bytes[:len(jpeg_bytes) * 2 // 3], "truncated", "before the image is complete"),
        ("jpeg-no-eoi.jpg", jpeg_bytes[:-2], "truncated", "JPEG"),
    ]
    ihdr = png_bytes.index(b"IHDR") - 4
    bad = png_bytes[:ihdr + 21] + bytes(b ^ 0x55 for b in png_bytes[ihdr + 21:ihdr + 25]) + png_bytes[ihdr + 25:]
    items.append(("png-bad-ihdr-crc.png", bad, "corrupt", "bad CRC checksum in the IHDR chunk"))
    text = chunk(b"tEXt", b"Comment\x00hello", crc_xor=1)
    after_ihdr = ihdr + 25
    items.append(("png-bad-text-crc.png", png_bytes[:after_ihdr] + text + png_bytes[after_ihdr:], "corrupt",
                  "bad CRC checksum in the tEXt chunk"))
    # The zlib Adler-32 checksum at the end of the image data is wrong: PIL fails.
    idat = png_bytes.rindex(b"IDAT") - 4  # the last IDAT ends with the Adler-32
    length = struct.unpack(">I", png_bytes[idat:idat + 4])[0]
    body = bytearray(png_bytes[idat + 8:idat + 8 + length])
    body[-1] ^= 0xFF
    items.append(("png-bad-adler.png", png_bytes[:idat] + chunk(b"IDAT", bytes(body)) +
                  png_bytes[idat + 12 + length:], "corrupt", "Adler-32"))
    # Absurd dimensions with hardly any data: refused from the header.
    huge = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    items.append(("png-100000x100000.png", huge, "tooManyPixels", "more than the limit of"))
    sof = jpeg_bytes.index(b"\xff\xc0")
    big = bytearray(jpeg_bytes)
    big[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    items.append(("jpeg-60000x60000.jpg", bytes(big), "tooManyPixels", "more than the limit of"))
    # An unknown marker where EOI should be: PIL's jpeg_finish_decompress fails.
    items.append(("jpeg-bad-eoi.jpg", jpeg_bytes[:-1] + b"\xf9", "corrupt", "JPEG"))
    return items


def nearest_indices():
    """Pillow's NEAREST source indices, read back from an image whose values are their own x."""
    table = {}
    for side in (512, 1000, 223, 225, 3, 1, 224, 448):
        row = Image.fromarray(np.arange(side, dtype=np.int32).reshape(1, side), mode=None).convert("I")
        cols = np.asarray(row.resize((224, 1), Image.NEAREST)).reshape(-1).tolist()
        col = Image.fromarray(np.arange(side, dtype=np.int32).reshape(side, 1)).convert("I")
        rows = np.asarray(col.resize((1, 224), Image.NEAREST)).reshape(-1).tolist()
        assert cols == rows, side
        table[str(side)] = [int(v) for v in cols]
    return table


def main():
    import tf_keras
    from tf_keras.applications import imagenet_utils

    warnings.simplefilter("ignore")
    if os.path.isdir(OUT_DIR):
        shutil.rmtree(OUT_DIR)
    os.makedirs(OUT_DIR)

    def keras_input(path, size=(224, 224)):
        return tf_keras.utils.img_to_array(tf_keras.utils.load_img(path, target_size=size))

    images, errors = [], []
    inputs = png_inputs() + jpeg_inputs()
    for name, data, notes, extra in inputs:
        path = os.path.join(OUT_DIR, name)
        with open(path, "wb") as f:
            f.write(data)
        im = Image.open(path)
        mode, size = im.mode, im.size
        rgb = np.asarray(im.convert("RGB"))
        x = keras_input(path)
        assert x.dtype == np.float32 and x.shape == (224, 224, 3)
        entry = {"file": name, "source_size": list(size), "pil_mode": mode,
                 "rgb_fnv1a64": fnv1a64(rgb.tobytes()),
                 "input_fnv1a64": fnv1a64(x.astype("<f4").tobytes()),
                 "input_sum": float(x.sum(dtype=np.float64)), "notes": notes}
        if "rescale" in extra:
            entry["rgb_rescale_fnv1a64"] = fnv1a64(extra["rescale"].tobytes())
        images.append(entry)

    png_good = next(d for n, d, _, _ in inputs if n == "png-c3-d8-61x45.png")
    jpeg_good = next(d for n, d, _, _ in inputs if n == "jpeg-420-131x97.jpg")
    for name, data, kind, words in error_inputs(png_good, jpeg_good):
        path = os.path.join(OUT_DIR, name)
        with open(path, "wb") as f:
            f.write(data)
        try:
            keras_input(path)
            pil_error = None
        except Exception as e:  # noqa: BLE001 - recording what PIL says
            pil_error = re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "<BytesIO>",
                               f"{type(e).__name__}: {e}".replace(path, name))
        assert pil_error is not None, f"PIL accepted {name}"
        errors.append({"file": name, "pil_error": pil_error, "kind": kind, "message_contains": words})

    # keras preprocess_input on one image, and load_img with a non-square target.
    probe = "jpeg-420-400x300.jpg"
    x = keras_input(os.path.join(OUT_DIR, probe))
    pre = {"file": probe}
    for mode in ("caffe", "tf"):
        y = imagenet_utils.preprocess_input(x.copy(), data_format="channels_last", mode=mode)
        pre[f"{mode}_fnv1a64"] = fnv1a64(np.ascontiguousarray(y, dtype="<f4").tobytes())
    pre["scale01_fnv1a64"] = fnv1a64((x / 255.0).astype("<f4").tobytes())
    wide = keras_input(os.path.join(OUT_DIR, probe), size=(100, 150))
    assert wide.shape == (100, 150, 3)

    record = {
        "description": "What Keras load_img/img_to_array and PIL make of each file in this folder; "
                       "see tools/make_image_test_inputs.py for the meaning of every field.",
        "generator": "tools/make_image_test_inputs.py",
        "pillow": Image.__version__,
        "keras": f"tf-keras {tf_keras.__version__}",
        "images": images,
        "errors": errors,
        "nearest_indices": nearest_indices(),
        "preprocessing": pre,
        "target_size_150x100": {"file": probe, "input_fnv1a64": fnv1a64(wide.astype("<f4").tobytes())},
    }
    with open(os.path.join(OUT_DIR, "expected.json"), "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(README)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, n)) for n in os.listdir(OUT_DIR))
    print(f"wrote {len(images)} images, {len(errors)} broken files, {total} bytes to {OUT_DIR}")


README = """# Image decoder test inputs

Small PNG and JPEG files for `Tests/ImageInputTests`: every PNG colour type and bit depth
(plain and Adam7), palettes shorter than their indices, tRNS, 16-bit values on both sides of
255, EXIF orientation, JPEG 4:4:4 / 4:2:2 / 4:2:0, progressive, restart markers, gray, CMYK,
and broken files (truncated, bad CRCs, bad zlib checksum, absurd dimensions, a text file named
.png, an empty file). Pictures are seeded gradients and noise; no meaning.

`expected.json` holds what Keras `load_img` / `img_to_array` and PIL make of each file (hashes
of the RGB bytes and of the 224x224 float input, PIL's mode or exception), Pillow's NEAREST
index tables and `preprocess_input` results; the generator's docstring explains every field.

Regenerate (from the repository root, with the tools venv):

    .venv/bin/python tools/make_image_test_inputs.py
"""

if __name__ == "__main__":
    main()
