// swift-tools-version:6.0
// libFuzzer targets for cvrnet's untrusted-input parsers: the PNG and JPEG decoders
// (libpng / libjpeg-turbo behind Sources/CImageCodecs, then ImageInput's Swift side), the DICOM
// reader (GDCM behind Sources/CDICOM, then ImageInput's display pipeline) and the
// Keras HDF5 weights reader (libhdf5 behind KerasFormat, then CVRNet's loader).
//
// Build and run with tools/fuzz.sh; by hand (from the repository root):
//   swift build --package-path tools/fuzz --scratch-path .build-fuzz -c release \
//       --sanitize=fuzzer --sanitize=address
//   .build-fuzz/release/fuzz-png tools/fuzz/corpus/png -max_total_time=60
import Foundation
import PackageDescription

// The root package, by path. SwiftPM names a path dependency after its folder, which differs
// between clones, so the name is taken from the folder rather than written here.
let rootDirectory = URL(fileURLWithPath: Context.packageDirectory)
    .deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL
let root = rootDirectory.lastPathComponent.lowercased()

// libFuzzer supplies `main`; the targets define LLVMFuzzerTestOneInput only.
let asLibrary: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "cvrnet-fuzz",
    dependencies: [
        .package(path: rootDirectory.path),
    ],
    targets: [
        // Shared helpers (no fuzzer entry point).
        .target(name: "FuzzSupport", dependencies: [.product(name: "CVRNet", package: root)]),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzSupport"], path: "Sources/FuzzPNG",
                          swiftSettings: asLibrary),
        .executableTarget(name: "fuzz-jpeg", dependencies: ["FuzzSupport"], path: "Sources/FuzzJPEG",
                          swiftSettings: asLibrary),
        .executableTarget(name: "fuzz-dicom", dependencies: ["FuzzSupport"], path: "Sources/FuzzDICOM",
                          swiftSettings: asLibrary),
        .executableTarget(name: "fuzz-weights", dependencies: ["FuzzSupport"], path: "Sources/FuzzWeights",
                          swiftSettings: asLibrary),
    ]
)
