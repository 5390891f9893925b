/// One head's output.
public struct HeadPrediction: Sendable, Equatable {
    /// Which tapped feature map the head classifies.
    public let scale: HeadScale
    /// Softmax probabilities, in label order.
    public let probabilities: [Float]

    /// A head's answer as given (e.g. the mean of several models' heads, for an ensemble).
    public init(scale: HeadScale, probabilities: [Float]) {
        self.scale = scale
        self.probabilities = probabilities
    }
}

/// The model's answer for one image.
public struct Prediction: Sendable, Equatable {
    /// Class names, in output order.
    public let labels: [String]
    /// The final probabilities: the mean of the five heads' softmax outputs.
    public let probabilities: [Float]
    /// Each head's probabilities, in head order (`HeadScale.allCases`).
    public let heads: [HeadPrediction]

    /// A prediction as given (e.g. the mean of several models' predictions, for an ensemble).
    public init(labels: [String], probabilities: [Float], heads: [HeadPrediction]) {
        self.labels = labels
        self.probabilities = probabilities
        self.heads = heads
    }

    /// Index of the most probable class (the first on ties, as `numpy.argmax`).
    public var topIndex: Int {
        var best = 0
        for i in probabilities.indices where probabilities[i] > probabilities[best] { best = i }
        return best
    }
    /// Name of the most probable class.
    public var topLabel: String { labels[topIndex] }
    /// Probability of the most probable class.
    public var topProbability: Float { probabilities[topIndex] }
}
