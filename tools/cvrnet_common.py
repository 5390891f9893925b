"""Helpers every tools/ script shares: where the repository is, the FNV-1a 64 checksum the
fixtures carry, and CVR-Net's head rule. Plain Python and numpy only (no TensorFlow), so the
fixture scripts that need neither Keras nor h5py can import it too.

The Swift side has each of these once as well: `RepositoryPaths` (tests), the `Checksums`
target (FNV-1a 64) and `CVRNetLayout` (head rule), which `CVRNetLayoutTests` checks against
`Tests/Fixtures/layout/cvrnet-layout.json` (written by tools/make_layout_fixture.py).
"""
import os

# tools/ and the repository root above it.
TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)

# The default weights (tools/prepare.sh writes them) and the cost of one forward pass at
# 224x224 (multiply-adds x 2), as Swift's `ReferenceWeights` has them.
DEFAULT_WEIGHTS = "weights/reference-2class-keras231-weights.hdf5"
GFLOP_PER_IMAGE = 16.8

FNV64_OFFSET = 0xCBF29CE484222325
FNV64_PRIME = 0x100000001B3


def fnv1a64(data):
    """FNV-1a 64-bit over bytes, or over the float32 little-endian bytes of a numpy array.
    Returns the lowercase 16-hex-digit string the fixtures store (`*_fnv1a64`)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        import numpy as np
        data = np.ascontiguousarray(data, dtype="<f4").tobytes()
    h = FNV64_OFFSET
    for b in bytes(data):
        h = ((h ^ b) * FNV64_PRIME) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


HEAD_COUNT = 5
HEAD_HIDDEN_UNITS = (512, 128, 64)


def head_layers(auto_named_dense):
    """The head rule: the notebook builds the heads one after the other, so the auto-named Dense
    layers in the order of their numbers are head 1's 512, 128 and N, then head 2's, ...
    Returns each head's four Dense layers [512, 128, MKH_k, N], head 1 first."""
    dense = list(auto_named_dense)
    assert len(dense) == 3 * HEAD_COUNT, "expected %d auto-named Dense layers, got %d" % (3 * HEAD_COUNT, len(dense))
    return [[dense[3 * k], dense[3 * k + 1], "MKH_%d" % (k + 1), dense[3 * k + 2]]
            for k in range(HEAD_COUNT)]
