import CVRNetKernels
import Foundation

extension CVRNetModel {
    /// The number format of the convolutions (`Options.precision`), so library users need not
    /// import the kernels module to name it.
    public typealias Precision = CVRNetKernels.Precision
    /// The code bfloat16 convolutions run on (`CVRNetModel.bfloat16Kernel`).
    public typealias BFloat16Kernel = CVRNetKernels.BFloat16Kernel

    /// How a model runs: chosen when it is loaded, fixed for its lifetime, and private to it
    /// (two models with different options can run side by side in one process).
    public struct Options: Sendable, Equatable {
        /// Threads one prediction may keep busy at once, the calling thread included
        /// (values below 1 count as 1). One image's layers are split across them, or, in a
        /// batch, images run side by side, one per thread. Results do not depend on it, bit for
        /// bit. Default: the number of active processors.
        public var threads: Int

        /// After loading, hand the heap memory that loading freed (weight copies made while
        /// packing, about 7 MB measured) back to the system with glibc's `malloc_trim`. That
        /// call acts on the whole process's heap, so it is the caller's choice; the `cvrnet`
        /// tool makes it. Default: false. Does nothing where glibc is absent.
        public var returnFreedMemory: Bool

        /// The number format of the convolutions (see `Precision`). Default: `.float32`, as
        /// Keras computes. `.bfloat16` needs a CPU with AMX-BF16 or AVX512_BF16
        /// (`BFloat16Kernel.available`); on other CPUs loading throws
        /// `CVRNetError.precisionUnavailable`.
        public var precision: Precision

        /// Tests: the bfloat16 kernel to use with `.bfloat16` instead of `BFloat16Kernel.available`
        /// (an emulated one, on CPUs without bfloat16 instructions).
        var bfloat16Kernel: BFloat16Kernel?

        public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, returnFreedMemory: Bool = false,
                    precision: Precision = .float32) {
            self.threads = max(1, threads)
            self.returnFreedMemory = returnFreedMemory
            self.precision = precision
        }
    }
}
