import FuzzSupport

/// libFuzzer entry point: JPEG decoding (libjpeg-turbo through CImageCodecs, then ImageInput).
/// Inputs not starting with a JPEG SOI marker are skipped (see fuzz-png for PNG).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ImageFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)), only: .jpeg)
    return 0
}
