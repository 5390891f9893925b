import CVRNetKernels

extension ExecutionPlan {
    /// What step `index` runs, for profiles and plan dumps: the operation, its kernel variant,
    /// and the tensor it writes, e.g. `conv 3x3 float32 Winograd F(2x2,3x3) (AVX2 + FMA) -> stage2 block1 spatial`.
    func label(ofStep index: Int) -> String {
        func name(_ t: TensorID) -> String { tensors[t.index].name }
        switch steps[index].operation {
        case let .convolution(conv, _, _, output, _, _, accumulate):
            let k = "\(conv.window.kernelHeight)x\(conv.window.kernelWidth)"
            let s = conv.window.strideHeight == 1 ? "" : "/\(conv.window.strideHeight)"
            return "conv \(k)\(s) \(conv.variant) \(accumulate ? "+=" : "->") \(name(output))"
        case let .separableConvolution(sep, _, _, _, output, _, _, accumulate):
            return "sepconv \(sep.pointwise.variant) \(accumulate ? "+=" : "->") \(name(output))"
        case let .maxPooling(_, _, _, _, output):
            return "max pool -> \(name(output))"
        case let .downsampling(block, _, output, _, _, _, _):
            return "down-sampling block \(block.number)\(block.bands == nil ? "" : " (bands)") \(block.second.pointwise.variant) -> \(name(output))"
        case let .tap(point, tensor, _):
            return "tap head \(point.head.rawValue) part \(point.part) <- \(name(tensor))"
        }
    }
}
