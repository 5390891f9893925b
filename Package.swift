// swift-tools-version:6.0
// cvrnet: run a Keras-trained CVR-Net (arXiv 2007.11993) without Python or TensorFlow.
import PackageDescription

let package = Package(
    name: "cvrnet",
    products: [
        .library(name: "CVRNet", targets: ["CVRNet"]),
        .executable(name: "cvrnet", targets: ["cvrnet"]),
        .executable(name: "cvrnet-benchmark", targets: ["cvrnet-benchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries, each with the Debian package that provides it.
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CZip", pkgConfig: "libzip", providers: [.apt(["libzip-dev"])]),
        // libpng and libjpeg report fatal errors through longjmp; this shim keeps that in C.
        .target(name: "CImageCodecs", dependencies: ["CPNG", "CJPEG"]),
        // GDCM (C++, Debian libgdcm-dev, no pkg-config file) behind an extern "C" shim:
        // DICOM parsing and decompression of every transfer syntax, JPEG 2000 included.
        .target(name: "CDICOM",
                cxxSettings: [.unsafeFlags(["-I/usr/include/gdcm-3.0"])],
                linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"),
                                 .linkedLibrary("gdcmDICT"), .linkedLibrary("gdcmIOD"),
                                 .linkedLibrary("gdcmCommon"), .linkedLibrary("z")]),

        // AVX-512 micro-kernels (packed-weight GEMM, depthwise 3x3), chosen at run time.
        .target(name: "CAVX512Kernels"),
        // Tensors and kernels: plain functions over NHWC float buffers (no file formats here).
        .target(name: "CVRNetKernels", dependencies: ["COpenBLAS", "CAVX512Kernels"]),
        // Keras HDF5 weight files (libhdf5): layer groups, weight arrays, attributes.
        // Keras 3 .keras archives (zip) through libzip.
        .target(name: "KerasFormat", dependencies: ["CHDF5", "CZip"]),
        // Image decoding and conversion exactly as Keras `load_img` (PIL) does it.
        .target(name: "ImageInput", dependencies: ["CImageCodecs", "CDICOM"]),
        // The CVR-Net graph, weight binding and the public API.
        .target(name: "CVRNet", dependencies: ["CVRNetKernels", "KerasFormat", "ImageInput"]),
        // FNV-1a 64, the hash of --shard and of the fixtures' input tensors (CLI and tests share it).
        .target(name: "Checksums"),
        // scikit-learn's classification metrics (ROC, PR, report, intervals) in plain Swift.
        .target(name: "Evaluation"),
        // The command-line tool.
        .executableTarget(name: "cvrnet", dependencies: [
            "CVRNet", "CVRNetKernels", "Checksums", "Evaluation", "ImageInput", "KerasFormat", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Times this engine for tools/benchmark.py, which runs the peers in the same run.
        .executableTarget(name: "cvrnet-benchmark", dependencies: ["CVRNet", "COpenBLAS"]),

        // Tests mirror the source layout; TestSupport finds fixtures and shared assertions.
        .target(name: "TestSupport", dependencies: ["Checksums", "KerasFormat"], path: "Tests/TestSupport"),
        .testTarget(name: "CVRNetKernelsTests", dependencies: ["CVRNetKernels", "TestSupport"]),
        .testTarget(name: "KerasFormatTests", dependencies: ["KerasFormat", "TestSupport"]),
        .testTarget(name: "ImageInputTests", dependencies: ["ImageInput", "TestSupport"]),
        .testTarget(name: "CVRNetTests", dependencies: ["CVRNet", "TestSupport"]),
        .testTarget(name: "cvrnetTests", dependencies: ["TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"]),
    ]
)
