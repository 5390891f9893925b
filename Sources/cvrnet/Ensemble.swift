import CVRNet

/// The ensemble rule of every command given `--weights` more than once (`classify`, `score`,
/// `evaluate`): the ensemble's probabilities are the mean of the models' probabilities, class
/// by class (each model's own output already being the mean of its five heads), summed in
/// Double in `--weights` order. Each head of the ensemble is the mean of the models' same head.
enum Ensemble {
    /// The element-wise mean of equally long probability vectors, one per model.
    static func mean(_ vectors: [[Double]]) -> [Double] {
        let n = Double(vectors.count)
        return vectors[0].indices.map { k in vectors.reduce(0) { $0 + $1[k] } / n }
    }

    /// The mean of per-model tables `tables[model][image][class]`: one table.
    static func mean(_ tables: [[[Double]]]) -> [[Double]] {
        tables[0].indices.map { i in Ensemble.mean(tables.map { $0[i] }) }
    }

    /// The ensemble's prediction for one image from each model's; the models must share their
    /// labels. The mean is rounded to Float once, at the end.
    static func mean(_ predictions: [Prediction]) -> Prediction {
        func average(_ vectors: [[Float]]) -> [Float] {
            Ensemble.mean(vectors.map { $0.map(Double.init) }).map(Float.init)
        }
        let heads = predictions[0].heads.indices.map { h in
            HeadPrediction(scale: predictions[0].heads[h].scale,
                           probabilities: average(predictions.map { $0.heads[h].probabilities }))
        }
        return Prediction(labels: predictions[0].labels, probabilities: average(predictions.map(\.probabilities)), heads: heads)
    }
}
