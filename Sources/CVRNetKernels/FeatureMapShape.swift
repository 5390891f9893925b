/// The shape of one image's feature map, stored row-major as HWC (NHWC without the batch axis),
/// which is Keras's `channels_last` layout.
public struct FeatureMapShape: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var height: Int
    public var width: Int
    public var channels: Int

    public init(height: Int, width: Int, channels: Int) {
        self.height = height
        self.width = width
        self.channels = channels
    }

    /// Number of floats the map occupies.
    public var count: Int { height * width * channels }

    public var description: String { "\(height)x\(width)x\(channels)" }
}
