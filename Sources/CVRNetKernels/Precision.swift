/// The number format a model's convolutions compute in, chosen when it is loaded.
public enum Precision: String, Sendable, CaseIterable, CustomStringConvertible {
    /// float32 weights and sums, as Keras computes every layer (the default): agrees with
    /// Keras's probabilities to about 1e-6.
    case float32 = "fp32"
    /// Opt-in: convolution weights stored as bfloat16 (half the memory), each convolution's input
    /// rounded to bfloat16 as it is read, products summed in float32; on AMX-BF16 tiles or
    /// AVX512_BF16 (`BFloat16Kernel.available`). Depthwise convolutions, pooling, the heads'
    /// Dense layers and everything between layers stay float32. Further from Keras than
    /// float32: the README publishes the measured difference and the tests check it.
    case bfloat16 = "bf16"

    public var description: String { rawValue }
}
