import FuzzSupport

/// libFuzzer entry point: PNG decoding (libpng through CImageCodecs, then ImageInput).
/// Inputs not starting with the PNG signature are skipped (see fuzz-jpeg for JPEG).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)), only: .png)
    return 0
}
