"""Crafted DICOM files for tools/fuzz/regressions/dicom/ (standard library only).

    python3 tools/fuzz/make_dicom_regression_inputs.py [output folder]

Each is made from Tests/Fixtures/dicom/mono2-u12-window.dcm (explicit VR little endian): its
file meta group is kept (group length and transfer syntax rewritten) and its data set changed
as the file's name says. See tools/fuzz/regressions/README.md for what each did.
"""
import os
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(ROOT, "Tests/Fixtures/dicom/mono2-u12-window.dcm")
DEFLATE = b"1.2.840.10008.1.2.1.99"
LONG_VRS = {b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"}


def elements(data, at, end):
    """(group, element, vr, header bytes, value) of explicit VR little endian elements."""
    while at < end:
        group, element = struct.unpack_from("<HH", data, at)
        vr = data[at + 4:at + 6]
        if vr in LONG_VRS:
            (length,) = struct.unpack_from("<I", data, at + 8)
            header = 12
        else:
            (length,) = struct.unpack_from("<H", data, at + 6)
            header = 8
        yield group, element, vr, data[at:at + header], data[at + header:at + header + length]
        at += header + length


def split(data):
    """(preamble + DICM, meta elements without the group length, data set bytes)."""
    at = 132
    meta = []
    for group, element, vr, header, value in elements(data, at, len(data)):
        if group != 0x0002:
            break
        at += len(header) + len(value)
        if element != 0x0000:
            meta.append((element, vr, value))
    return data[:132], meta, data[at:]


def element(group, number, vr, value):
    if len(value) % 2:
        value += b"\0"
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", group, number, vr, 0, len(value)) + value
    return struct.pack("<HH2sH", group, number, vr, len(value)) + value


def file_meta(meta, transfer_syntax):
    body = b"".join(element(2, e, vr, transfer_syntax if e == 0x0010 else v) for e, vr, v in meta)
    return element(2, 0, b"UL", struct.pack("<I", len(body))) + body


def with_photometric(data_set, value):
    """The data set with Photometric Interpretation (0028,0004) replaced by `value`."""
    out, at = b"", 0
    for group, number, vr, header, old in elements(data_set, 0, len(data_set)):
        out += element(group, number, vr, value) if (group, number) == (0x0028, 0x0004) else header + old
        at += len(header) + len(old)
    return out + data_set[at:]


def deflated(data_set):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate (PS3.5 A.5)
    return compressor.compress(data_set) + compressor.flush()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tools/fuzz/regressions/dicom")
    os.makedirs(out, exist_ok=True)
    with open(SOURCE, "rb") as f:
        source = f.read()
    head, meta, data_set = split(source)
    pixel_data = data_set.rfind(b"\xe0\x7f\x10\x00")
    files = {
        # The inflated data set ends inside the Pixel Data value.
        "deflate-truncated-pixel-data.dcm":
            head + file_meta(meta, DEFLATE) + deflated(data_set[:pixel_data + 12 + 100]),
        # The inflated data set ends inside an element header.
        "deflate-truncated-header.dcm":
            head + file_meta(meta, DEFLATE) + deflated(data_set[:pixel_data + 6]),
        # The deflate stream itself is cut short.
        "deflate-stream-cut.dcm":
            head + file_meta(meta, DEFLATE) + deflated(data_set)[:200],
        # PALETTE COLOR without its palette descriptors, deflated: GDCM asserts on it
        # (PixmapReader::ReadImageInternal); the shim's check must see the inflated data set.
        "deflate-palette-color-no-descriptors.dcm":
            head + file_meta(meta, DEFLATE) + deflated(with_photometric(data_set, b"PALETTE COLOR")),
        # Not a deflate stream at all.
        "deflate-garbage.dcm":
            head + file_meta(meta, DEFLATE) + bytes(range(256)) * 4,
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        print(name, len(data))


if __name__ == "__main__":
    main()
