import FuzzSupport

/// libFuzzer entry point: DICOM decoding (GDCM through the CDICOM shim, then ImageInput's
/// display pipeline). Inputs without the DICM signature at byte 128 are skipped.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DICOMFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
