/// Rows and columns of padding around a feature map, as a convolution or pooling sees it.
///
/// Keras `padding="same"` follows TensorFlow: the output has `ceil(n / stride)` positions and the
/// total padding `max((out - 1) * stride + k - n, 0)` is split with the smaller half at the
/// top/left and the extra row/column at the bottom/right (TensorFlow's `GetWindowedOutputSize`).
/// `ZeroPadding2D` layers are folded into the following layer as explicit padding.
public struct Padding2D: Equatable, Hashable, Sendable {
    public var top: Int
    public var bottom: Int
    public var left: Int
    public var right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top
        self.bottom = bottom
        self.left = left
        self.right = right
    }

    /// The same amount on every side.
    public static func uniform(_ p: Int) -> Padding2D { Padding2D(top: p, bottom: p, left: p, right: p) }

    /// Keras `padding="valid"`.
    public static let valid = Padding2D(top: 0, bottom: 0, left: 0, right: 0)

    /// Keras/TensorFlow `padding="same"` for a window of `kernel` with `stride` over `input`.
    public static func tensorflowSame(input: (height: Int, width: Int), kernel: (height: Int, width: Int),
                                      stride: (height: Int, width: Int)) -> Padding2D {
        func split(_ n: Int, _ k: Int, _ s: Int) -> (Int, Int) {
            let out = (n + s - 1) / s
            let total = max((out - 1) * s + k - n, 0)
            return (total / 2, total - total / 2)
        }
        let (t, b) = split(input.height, kernel.height, stride.height)
        let (l, r) = split(input.width, kernel.width, stride.width)
        return Padding2D(top: t, bottom: b, left: l, right: r)
    }
}

/// Geometry of a sliding window (convolution or pooling) over one feature map.
public struct WindowGeometry: Equatable, Hashable, Sendable {
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var strideHeight: Int
    public var strideWidth: Int
    public var padding: Padding2D

    public init(kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, padding: Padding2D) {
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padding = padding
    }

    /// Square kernel and stride.
    public init(kernel: Int, stride: Int, padding: Padding2D) {
        self.init(kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride, strideWidth: stride, padding: padding)
    }

    /// Output height and width for an input of `height` x `width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let h = (height + padding.top + padding.bottom - kernelHeight) / strideHeight + 1
        let w = (width + padding.left + padding.right - kernelWidth) / strideWidth + 1
        return (h, w)
    }
}
