import FuzzSupport

/// libFuzzer entry point: the Keras HDF5 weights reader (libhdf5 through KerasFormat) and the
/// CVR-Net loader on top of it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    WeightsFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
