// Tests compare input tensors with `fnv1a64`, the one FNV-1a of the package.
@_exported import Checksums
