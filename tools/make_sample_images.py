"""Writes the synthetic chest-radiograph-like sample images to Tests/Fixtures/sample-images/.

The pictures are drawn with numpy (seeded): dark background, a soft-tissue torso, two lung
fields (bright rims, darker inside), rib arcs, spine, clavicles, a side marker in the top-left
corner (so flips and rotations show), soft noise and blur. They are not patient data.

Each file covers one PNG/JPEG encoding variant (bit depth, colour type, palette, tRNS,
interlace, progressive, chroma subsampling, EXIF orientation) and a different size. Files that
Pillow cannot write (4-bit gray, Adam7 interlace, 16-bit RGB, ...) are written by the small PNG
encoder below, whose output is checked by decoding it again with Pillow.

Also writes keras-inputs.json: for every image what the notebook's pipeline
img_to_array(load_img(path, target_size=(224, 224))) gives (float32 (224, 224, 3)): its FNV-1a
64 hash over the float32 little-endian bytes, its sum and per-channel sums.

    .venv/bin/python tools/make_sample_images.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import io  # noqa: E402
import json  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import zlib  # noqa: E402

import warnings  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, JpegImagePlugin  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cvrnet_model  # noqa: E402

from cvrnet_common import ROOT  # noqa: E402
OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "sample-images")
SEED = 20200723
MAX_FOLDER_BYTES = 1_500_000


# ----------------------------------------------------------------------------------------
# Drawing
# ----------------------------------------------------------------------------------------

def _blur(img, radius):
    """Separable box blur, applied twice (close to a Gaussian); edges replicated."""
    if radius <= 0:
        return img
    k = 2 * radius + 1
    for _ in range(2):
        for axis in (0, 1):
            pad = [(0, 0)] * img.ndim
            pad[axis] = (radius, radius)
            p = np.pad(img, pad, mode="edge")
            c = np.cumsum(p, axis=axis, dtype=np.float64)
            c = np.concatenate([np.zeros_like(np.take(c, [0], axis=axis)), c], axis=axis)
            n = img.shape[axis]
            img = (np.take(c, np.arange(k, k + n), axis=axis)
                   - np.take(c, np.arange(0, n), axis=axis)) / k
    return img


def radiograph(width, height, rng):
    """Float image in [0, 1], shape (height, width)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u = (x + 0.5) / width   # 0..1 left to right
    v = (y + 0.5) / height  # 0..1 top to bottom
    jitter = lambda s: rng.uniform(-s, s)  # noqa: E731

    img = np.full((height, width), 0.06)
    # torso soft tissue
    cx = 0.5 + jitter(0.02)
    torso = ((u - cx) / 0.47) ** 2 + ((v - 0.62) / 0.62) ** 2
    img += 0.30 * np.clip(1.3 - torso, 0, 1) ** 0.7
    # lung fields: bright rim, darker inside
    for side in (-1, 1):
        lx = cx + side * (0.19 + jitter(0.015))
        ly = 0.50 + jitter(0.02)
        rx, ry = 0.14 + jitter(0.01), 0.30 + jitter(0.02)
        d = np.sqrt(((u - lx) / rx) ** 2 + ((v - ly) / ry) ** 2)
        inside = np.clip(1.0 - d, 0, 1)
        rim = np.exp(-((d - 1.0) / 0.06) ** 2)
        img += 0.28 * rim - 0.22 * np.clip(inside * 3.0, 0, 1) + 0.05 * inside
        # ribs: arcs crossing each lung field
        for i in range(9):
            ry0 = ly - ry + (i + 0.7) * (2 * ry / 9.5)
            arc = ry0 + 0.06 * ((u - lx) / rx) ** 2
            dist = np.abs(v - arc)
            rib = np.exp(-(dist / 0.008) ** 2) * (d < 1.15)
            img += 0.10 * rib
        # vessels / markings: a few soft blobs
        for _ in range(6):
            bx, by = lx + jitter(rx * 0.7), ly + jitter(ry * 0.7)
            img += 0.05 * np.exp(-(((u - bx) / 0.02) ** 2 + ((v - by) / 0.03) ** 2))
    # spine and mediastinum
    img += 0.22 * np.exp(-((u - cx) / 0.035) ** 2) * (v > 0.08)
    img += 0.12 * np.exp(-((u - cx) / 0.09) ** 2) * np.clip((v - 0.25) * 3, 0, 1)
    # vertebrae: periodic brightness along the spine
    img += 0.05 * np.exp(-((u - cx) / 0.03) ** 2) * (0.5 + 0.5 * np.cos(v * 2 * np.pi * 14))
    # clavicles
    for side in (-1, 1):
        cl = 0.17 + 0.08 * np.abs(u - cx) - 0.9 * (u - cx) ** 2
        m = (np.abs(u - cx) > 0.04) & (np.abs(u - cx) < 0.36)
        img += 0.18 * np.exp(-((v - cl) / 0.012) ** 2) * m * ((u - cx) * side > 0)
    # heart shadow (left of the patient = right of the picture)
    hd = ((u - (cx + 0.06)) / 0.13) ** 2 + ((v - 0.68) / 0.12) ** 2
    img += 0.16 * np.clip(1.0 - hd, 0, 1) ** 0.5
    # side marker "L" in the top-left corner
    mx0, my0 = int(0.05 * width), int(0.05 * height)
    s = max(3, int(0.06 * min(width, height)))
    t = max(1, s // 4)
    img[my0:my0 + s, mx0:mx0 + t] = 0.97
    img[my0 + s - t:my0 + s, mx0:mx0 + (2 * s) // 3] = 0.97

    img = _blur(img, max(1, min(width, height) // 160))
    noise = _blur(rng.normal(0.0, 1.0, size=img.shape), 1)
    img += 0.012 * noise / (noise.std() + 1e-9)
    return np.clip(img, 0.0, 1.0)


def tint(gray, rng, strength=1.0):
    """RGB version with channels that differ (a warm film tint and a colour gradient), so
    channel order mistakes change the result."""
    h, w = gray.shape
    u = np.linspace(0, 1, w)[None, :]
    v = np.linspace(0, 1, h)[:, None]
    r = gray * (1.0 - 0.02 * strength) + 0.05 * strength * u
    g = gray * (1.0 - 0.06 * strength) + 0.03 * strength * v
    b = gray * (1.0 - 0.14 * strength) + 0.04 * strength * (1 - u)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 1)


def alpha_ramp(h, w):
    """Alpha that varies over the picture (transparent corner to opaque), so compositing
    (which the notebook's pipeline does not do) would change the pixels."""
    u = np.linspace(0, 1, w)[None, :]
    v = np.linspace(0, 1, h)[:, None]
    return np.clip(0.15 + 0.85 * (0.5 * u + 0.5 * v) ** 0.7, 0, 1)


def q(img, maxval):
    return np.round(np.clip(img, 0, 1) * maxval).astype(np.int64)


# ----------------------------------------------------------------------------------------
# A small PNG encoder (all bit depths and colour types, all five filters, Adam7)
# ----------------------------------------------------------------------------------------

CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def _chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _row_bytes(row, bit_depth):
    """row: (W, C) integer array -> packed scanline bytes."""
    flat = row.reshape(-1)
    if bit_depth == 16:
        return flat.astype(">u2").tobytes()
    if bit_depth == 8:
        return flat.astype(np.uint8).tobytes()
    per = 8 // bit_depth
    n = len(flat)
    padded = np.zeros(((n + per - 1) // per) * per, dtype=np.uint16)
    padded[:n] = flat
    padded = padded.reshape(-1, per)
    out = np.zeros(len(padded), dtype=np.uint16)
    for i in range(per):
        out |= padded[:, i] << (8 - bit_depth * (i + 1))
    return out.astype(np.uint8).tobytes()


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _filter(cur, prev, ftype, bpp):
    cur = np.frombuffer(cur, dtype=np.uint8).astype(np.int32)
    prev = np.frombuffer(prev, dtype=np.uint8).astype(np.int32) if prev is not None \
        else np.zeros_like(cur)
    left = np.concatenate([np.zeros(bpp, np.int32), cur[:-bpp]])
    upleft = np.concatenate([np.zeros(bpp, np.int32), prev[:-bpp]])
    if ftype == 0:
        res = cur
    elif ftype == 1:
        res = cur - left
    elif ftype == 2:
        res = cur - prev
    elif ftype == 3:
        res = cur - (left + prev) // 2
    else:
        res = cur - _paeth(left, prev, upleft)
    return bytes([ftype]) + (res & 0xFF).astype(np.uint8).tobytes()


def _scanlines(pixels, bit_depth, bpp):
    out = bytearray()
    prev = None
    for i, row in enumerate(pixels):
        cur = _row_bytes(row, bit_depth)
        out += _filter(cur, prev, i % 5, bpp)  # cycle through all five filter types
        prev = cur
    return bytes(out)


def write_png(path, pixels, bit_depth, color_type, interlace=False, palette=None, trns=None):
    """pixels: (H, W) or (H, W, C) integers in the bit depth's range (palette indices for
    colour type 3)."""
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    h, w, c = pixels.shape
    assert c == CHANNELS[color_type], (c, color_type)
    assert pixels.min() >= 0 and pixels.max() < (1 << bit_depth)
    bpp = max(1, c * bit_depth // 8)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = pixels[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += _scanlines(sub, bit_depth, bpp)
    else:
        raw = _scanlines(pixels, bit_depth, bpp)
    data = b"\x89PNG\r\n\x1a\n"
    data += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0,
                                        1 if interlace else 0))
    if palette is not None:
        data += _chunk(b"PLTE", np.asarray(palette, dtype=np.uint8).tobytes())
    if trns is not None:
        data += _chunk(b"tRNS", bytes(trns))
    data += _chunk(b"IDAT", zlib.compress(raw, 9))
    data += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def png_header(path):
    """(IHDR fields, list of chunk types) parsed from the file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds, ihdr = 8, [], None
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, bd, ct, _, _, il = struct.unpack(">IIBBBBB", body)
            ihdr = dict(width=w, height=h, bit_depth=bd, color_type=ct, interlace=il)
        kinds.append(kind.decode())
        pos += 12 + n
    return ihdr, kinds


def jpeg_markers(path):
    """Set of SOF marker names found in the file (SOF0 baseline, SOF2 progressive, ...)."""
    with open(path, "rb") as f:
        data = f.read()
    found = set()
    pos = 2
    while pos < len(data) - 4:
        if data[pos] != 0xFF:
            pos += 1
            continue
        m = data[pos + 1]
        if m == 0xDA:  # start of scan: stop (entropy-coded data follows)
            break
        if 0xC0 <= m <= 0xCF and m not in (0xC4, 0xC8, 0xCC):
            found.add("SOF%d" % (m - 0xC0))
        n = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        pos += 2 + n
    return found


# ----------------------------------------------------------------------------------------
# The set of sample images
# ----------------------------------------------------------------------------------------

def build_images(rng):
    """Returns a list of (file name, description, writer(path), expectation dict)."""
    items = []

    def add(name, desc, writer, expect, decoded=None):
        items.append(dict(name=name, desc=desc, writer=writer, expect=expect, decoded=decoded))

    # PNG 8-bit gray, exactly the model's input size (no resize at all).
    g = radiograph(224, 224, rng)
    px = q(g, 255)
    add("png-gray8-224x224.png", "PNG 8-bit grayscale, exactly 224x224 (copied unchanged)",
        lambda p, px=px: Image.fromarray(px.astype(np.uint8), "L").save(p, optimize=True),
        dict(kind="png", bit_depth=8, color_type=0, interlace=0, pil_mode="L"), px)

    # PNG 16-bit gray, 512-pixel side, values up to ~1000 (Pillow clips at 255).
    g = radiograph(512, 480, rng)
    px = q(g, 1000)
    add("png-gray16-512x480.png",
        "PNG 16-bit grayscale, values 0..1000 (load_img clips them at 255); 512-pixel width "
        "(nearest-resize boundary case)",
        lambda p, px=px: write_png(p, px, 16, 0),
        dict(kind="png", bit_depth=16, color_type=0, interlace=0, pil_mode="I;16",
             min_max_above=255), px)

    # PNG 1-bit gray (dithered), small, odd size.
    g = radiograph(161, 181, rng)
    bits = Image.fromarray(q(g, 255).astype(np.uint8), "L").convert("1")
    px = (np.array(bits).astype(np.int64))
    add("png-gray1-161x181.png", "PNG 1-bit grayscale (dithered; 0/1 become 0/255), smaller "
        "than 224, odd size",
        lambda p, px=px: write_png(p, px, 1, 0),
        dict(kind="png", bit_depth=1, color_type=0, interlace=0, pil_mode="1"), px)

    # PNG 4-bit gray.
    g = radiograph(199, 241, rng)
    px = q(g, 15)
    add("png-gray4-199x241.png", "PNG 4-bit grayscale (values x17 to 0..255), odd width",
        lambda p, px=px: write_png(p, px, 4, 0),
        dict(kind="png", bit_depth=4, color_type=0, interlace=0, pil_mode="L"), px * 17)

    # PNG gray + alpha.
    g = radiograph(300, 256, rng)
    px = np.stack([q(g, 255), q(alpha_ramp(256, 300), 255)], axis=-1)
    add("png-graya8-300x256.png", "PNG 8-bit gray+alpha (alpha dropped, not composited)",
        lambda p, px=px: Image.fromarray(px.astype(np.uint8), "LA").save(p),
        dict(kind="png", bit_depth=8, color_type=4, interlace=0, pil_mode="LA"), px)

    # PNG RGB 8-bit.
    g = radiograph(333, 287, rng)
    px = q(tint(g, rng), 255)
    add("png-rgb8-333x287.png", "PNG 8-bit RGB with a colour tint (channels differ), odd size",
        lambda p, px=px: Image.fromarray(px.astype(np.uint8), "RGB").save(p),
        dict(kind="png", bit_depth=8, color_type=2, interlace=0, pil_mode="RGB"), px)

    # PNG RGBA 8-bit.
    g = radiograph(256, 320, rng)
    rgb = q(tint(g, rng), 255)
    px = np.concatenate([rgb, q(alpha_ramp(320, 256), 255)[:, :, None]], axis=-1)
    add("png-rgba8-256x320.png", "PNG 8-bit RGBA, varying alpha (dropped, not composited)",
        lambda p, px=px: Image.fromarray(px.astype(np.uint8), "RGBA").save(p),
        dict(kind="png", bit_depth=8, color_type=6, interlace=0, pil_mode="RGBA"), px)

    # PNG palette without tRNS (written by Pillow from an adaptive palette).
    g = radiograph(240, 250, rng)
    pim = Image.fromarray(q(tint(g, rng, 2.0), 255).astype(np.uint8), "RGB").quantize(
        colors=64, dither=Image.Dither.NONE)
    add("png-palette-240x250.png", "PNG 8-bit palette (64 colours), no transparency",
        lambda p, pim=pim: pim.save(p),
        dict(kind="png", bit_depth=8, color_type=3, interlace=0, pil_mode="P", trns=False),
        np.array(pim.convert("RGB")))

    # PNG palette with tRNS, 4-bit indices, small.
    g = radiograph(97, 113, rng)
    pim = Image.fromarray(q(tint(g, rng, 2.0), 255).astype(np.uint8), "RGB").quantize(
        colors=16, dither=Image.Dither.NONE)
    idx = np.array(pim).astype(np.int64)
    pal = np.array(pim.getpalette()[:16 * 3], dtype=np.int64).reshape(16, 3)
    trns = [0, 64, 128, 192] + [255] * 4  # first four entries (dark ones) partly transparent
    add("png-palette4-trns-97x113.png",
        "PNG 4-bit palette (16 colours) with tRNS (transparency ignored), small odd size",
        lambda p, idx=idx, pal=pal, trns=trns: write_png(p, idx, 4, 3, palette=pal,
                                                         trns=trns),
        dict(kind="png", bit_depth=4, color_type=3, interlace=0, pil_mode="P", trns=True),
        pal[idx])

    # PNG RGB 8-bit, Adam7 interlaced.
    g = radiograph(275, 263, rng)
    px = q(tint(g, rng), 255)
    add("png-rgb8-interlaced-275x263.png", "PNG 8-bit RGB, Adam7 interlaced, odd size",
        lambda p, px=px: write_png(p, px, 8, 2, interlace=True),
        dict(kind="png", bit_depth=8, color_type=2, interlace=1, pil_mode="RGB"), px)

    # PNG RGB 16-bit (Pillow keeps the high byte).
    g = radiograph(230, 210, rng)
    px = q(tint(g, rng), 65535)
    add("png-rgb16-230x210.png", "PNG 16-bit RGB (Pillow keeps the high byte, v >> 8), "
        "slightly larger than 224 in width, smaller in height",
        lambda p, px=px: write_png(p, px, 16, 2),
        dict(kind="png", bit_depth=16, color_type=2, interlace=0, pil_mode="RGB"), px >> 8)

    # PNG gray 16-bit, Adam7 interlaced, small.
    g = radiograph(150, 170, rng)
    px = q(g, 380)  # mostly below 255: v >> 8 would give a black picture, clipping keeps it
    add("png-gray16-interlaced-150x170.png", "PNG 16-bit grayscale, values 0..380 (only the "
        "brightest parts clip at 255; scaling by >> 8 instead would give a black picture), "
        "Adam7 interlaced, smaller than 224",
        lambda p, px=px: write_png(p, px, 16, 0, interlace=True),
        dict(kind="png", bit_depth=16, color_type=0, interlace=1, pil_mode="I;16",
             min_max_above=255), px)

    # JPEG gray.
    g = radiograph(448, 448, rng)
    gray = Image.fromarray(q(g, 255).astype(np.uint8), "L")
    add("jpeg-gray-448x448.jpg", "JPEG grayscale (one component), baseline, exactly 2x224",
        lambda p, im=gray: im.save(p, quality=88),
        dict(kind="jpeg", pil_mode="L", sof="SOF0"))

    # JPEG RGB baseline 4:2:0.
    g = radiograph(320, 360, rng)
    rgb = Image.fromarray(q(tint(g, rng, 2.0), 255).astype(np.uint8), "RGB")
    add("jpeg-rgb420-320x360.jpg", "JPEG YCbCr 4:2:0, baseline",
        lambda p, im=rgb: im.save(p, quality=90, subsampling=2),
        dict(kind="jpeg", pil_mode="RGB", sof="SOF0", sampling=2))

    # JPEG RGB 4:4:4.
    g = radiograph(215, 227, rng)
    rgb = Image.fromarray(q(tint(g, rng, 2.0), 255).astype(np.uint8), "RGB")
    add("jpeg-rgb444-215x227.jpg", "JPEG YCbCr 4:4:4 (no chroma subsampling), baseline, odd "
        "size just under/over 224",
        lambda p, im=rgb: im.save(p, quality=92, subsampling=0),
        dict(kind="jpeg", pil_mode="RGB", sof="SOF0", sampling=0))

    # JPEG progressive.
    g = radiograph(301, 299, rng)
    rgb = Image.fromarray(q(tint(g, rng, 2.0), 255).astype(np.uint8), "RGB")
    add("jpeg-progressive-301x299.jpg", "JPEG YCbCr 4:2:0, progressive, odd size",
        lambda p, im=rgb: im.save(p, quality=88, progressive=True, subsampling=2),
        dict(kind="jpeg", pil_mode="RGB", sof="SOF2", sampling=2))

    # JPEG with EXIF Orientation 6: stored landscape 280x220; a viewer that honours EXIF
    # rotates it 90 degrees clockwise to an upright 220x280 radiograph. load_img does not.
    g = radiograph(220, 280, rng)
    stored = np.rot90(q(tint(g, rng), 255), k=1)  # counter-clockwise: upright after CW turn
    rgb = Image.fromarray(np.ascontiguousarray(stored).astype(np.uint8), "RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    add("jpeg-exif-orientation6-280x220.jpg",
        "JPEG 4:2:0 baseline with EXIF Orientation = 6 (load_img ignores it: the model sees "
        "the stored 280x220 pixels, lying on their side)",
        lambda p, im=rgb, exif=exif: im.save(p, quality=88, subsampling=2, exif=exif.tobytes()),
        dict(kind="jpeg", pil_mode="RGB", sof="SOF0", sampling=2, orientation=6))
    return items


def verify(path, item):
    """Reads the file back and checks the intended encoding and (PNG) the decoded pixels."""
    e = item["expect"]
    im = Image.open(path)
    assert im.mode == e["pil_mode"], (path, im.mode, e["pil_mode"])
    facts = {}
    if e["kind"] == "png":
        ihdr, kinds = png_header(path)
        for key in ("bit_depth", "color_type", "interlace"):
            assert ihdr[key] == e[key], (path, key, ihdr[key], e[key])
        if "trns" in e:
            assert ("tRNS" in kinds) == e["trns"], (path, kinds)
        assert ("PLTE" in kinds) == (e["color_type"] == 3), (path, kinds)
        facts = dict(ihdr)
        facts["chunks"] = [k for k in kinds if k not in ("IDAT",)]
        if item["decoded"] is not None:
            got = np.array(im.convert("RGB") if im.mode == "P" else im).astype(np.int64)
            want = np.asarray(item["decoded"]).astype(np.int64)
            if got.ndim == 2 and want.ndim == 3 and want.shape[2] == 1:
                want = want[:, :, 0]
            assert got.shape == want.shape, (path, got.shape, want.shape)
            assert np.array_equal(got, want), (path, "decoded pixels differ")
        if e.get("min_max_above"):
            assert np.array(im).max() > e["min_max_above"], path
    else:
        sofs = jpeg_markers(path)
        assert sofs == {e["sof"]}, (path, sofs)
        facts["sof"] = sorted(sofs)
        facts["progressive"] = bool(im.info.get("progressive", 0) or im.info.get("progression", 0))
        assert facts["progressive"] == (e["sof"] == "SOF2"), path
        if "sampling" in e:
            s = JpegImagePlugin.get_sampling(im)
            assert s == e["sampling"], (path, s)
            facts["subsampling"] = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}[s]
        facts["layers"] = im.layers
        orient = im.getexif().get(0x0112)
        assert orient == e.get("orientation"), (path, orient)
        facts["exif_orientation"] = orient
    return im.size, im.mode, facts


def main():
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    os.makedirs(OUT_DIR, exist_ok=True)
    rng = np.random.default_rng(SEED)
    items = build_images(rng)
    names = {it["name"] for it in items}
    for f in os.listdir(OUT_DIR):  # drop stale images from older versions of this script
        if f.endswith((".png", ".jpg")) and f not in names:
            os.remove(os.path.join(OUT_DIR, f))

    records = []
    total = 0
    for it in sorted(items, key=lambda i: i["name"]):
        path = os.path.join(OUT_DIR, it["name"])
        it["writer"](path)
        size, mode, facts = verify(path, it)
        arr = cvrnet_model.load_keras_input(path)
        nbytes = os.path.getsize(path)
        total += nbytes
        rec = {
            "file": it["name"],
            "source_size": [int(size[0]), int(size[1])],
            "pil_mode": mode,
            "input_fnv1a64": cvrnet_model.fnv1a64(arr),
            "input_sum": float(np.sum(arr, dtype=np.float64)),
            "channel_sums": [float(s) for s in np.sum(arr, axis=(0, 1), dtype=np.float64)],
        }
        records.append(rec)
        it["facts"] = facts
        print("%-38s %5d bytes  %-9s mode %-5s %s  fnv %s" % (
            it["name"], nbytes, "%dx%d" % size, mode,
            {k: v for k, v in facts.items() if k not in ("width", "height")},
            rec["input_fnv1a64"]))
    assert total <= MAX_FOLDER_BYTES, "sample images take %d bytes" % total
    print("total %d bytes in %d images" % (total, len(records)))

    doc = {
        "description": "What the CVR-Net notebook's input pipeline gives for each sample image: "
                       "tf_keras.utils.img_to_array(tf_keras.utils.load_img(path, "
                       "target_size=(224, 224))), float32 (224, 224, 3), raw 0..255 values. "
                       "input_fnv1a64 is FNV-1a 64 over the float32 little-endian bytes of "
                       "that array (row-major HWC).",
        "generator": "tools/make_sample_images.py",
        "keras": cvrnet_model.keras_version_string(),
        "pillow": Image.__version__,
        "images": records,
    }
    with open(os.path.join(OUT_DIR, "keras-inputs.json"), "w") as f:
        f.write(dump_json_one_image_per_line(doc))
    with open(os.path.join(OUT_DIR, "README.md"), "w") as f:
        f.write(readme(items))
    return 0


def dump_json_one_image_per_line(doc):
    head = {k: v for k, v in doc.items() if k != "images"}
    text = json.dumps(head, indent=1)[:-2]
    rows = ",\n  ".join(json.dumps(r) for r in doc["images"])
    text += ',\n "images": [\n  %s\n ]\n}\n' % rows
    assert json.loads(text) == doc
    return text


def readme(items):
    lines = [
        "# Sample images",
        "",
        "Synthetic chest-radiograph-like pictures drawn with numpy (seeded) by",
        "`tools/make_sample_images.py`: dark background, soft-tissue torso, two lung fields",
        "(bright rims, darker inside), rib arcs, spine, clavicles, heart shadow, a side marker",
        "\"L\" in the top-left corner (so flips and rotations are visible), soft noise and blur.",
        "**They are not patient data and carry no clinical meaning.** They exist to exercise the",
        "image decoders and the notebook's input pipeline (`load_img` + `img_to_array`) and as",
        "inputs for the golden outputs of the reference weights.",
        "",
        "Regenerate (also rewrites `keras-inputs.json` and this README):",
        "",
        "    .venv/bin/python tools/make_sample_images.py",
        "",
        "## Files",
        "",
        "| file | what it covers | PIL mode |",
        "|---|---|---|",
    ]
    for it in sorted(items, key=lambda i: i["name"]):
        lines.append("| `%s` | %s | %s |" % (it["name"], it["desc"], it["expect"]["pil_mode"]))
    lines += [
        "",
        "Every file is checked after writing: PNG IHDR bit depth, colour type and interlace",
        "method, PLTE/tRNS chunks, and the pixels Pillow decodes; JPEG SOF marker (SOF0",
        "baseline / SOF2 progressive), chroma subsampling and EXIF orientation.",
        "",
        "## keras-inputs.json",
        "",
        "For every image, what `tf_keras.utils.img_to_array(tf_keras.utils.load_img(path,",
        "target_size=(224, 224)))` returns (the notebook's pipeline: PIL `convert(\"RGB\")`, NEAREST",
        "resize to 224x224, no EXIF rotation, raw 0..255 float32, shape (224, 224, 3)):",
        "",
        "```",
        "{\"description\": ..., \"generator\": ..., \"keras\": ..., \"pillow\": ...,",
        " \"images\": [ {\"file\": \"png-gray8-224x224.png\",",
        "              \"source_size\": [width, height],      // as stored, before any resize",
        "              \"pil_mode\": \"L\",                     // mode PIL opens the file in",
        "              \"input_fnv1a64\": \"16 lowercase hex digits\",",
        "              \"input_sum\": 1234567.0,              // sum of all 224*224*3 values",
        "              \"channel_sums\": [r, g, b]}, ... ] }",
        "```",
        "",
        "`input_fnv1a64` is FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime",
        "0x100000001b3) over the float32 little-endian bytes of the array in row-major",
        "(y, x, channel) order. All values are integers 0..255, so the sums are exact.",
        "",
        "JPEG pixels depend on the decoder. Pillow decodes with libjpeg-turbo (default ISLOW",
        "integer IDCT, fancy upsampling); `djpeg -dct int` from Debian 12's libjpeg-turbo 2.1.5",
        "gives the same pixels for all five JPEG files here (checked when they were made).",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
