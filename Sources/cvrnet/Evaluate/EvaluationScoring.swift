import CVRNet
import Foundation

/// One model's probabilities for the images of a labelled folder.
struct ModelScores {
    let weightsPath: String
    let isReferenceWeights: Bool
    /// Per image (nil where the image failed): the averaged output, then each head's.
    var averaged: [[Double]?]
    /// `heads[h][i]`: head h (in `HeadScale.allCases` order) on image i.
    var heads: [[[Double]?]]
}

/// Scores a labelled folder with one model the way `score` does: the same pipeline
/// (decoding ahead, `--threads`), progress on stderr, each failed image named once.
enum EvaluationScoring {
    /// - Parameter classOrder: for each folder class, the model output that belongs to it.
    static func score(model: CVRNetModel, images: [LabelledFolder.Image], classOrder: [Int],
                      imageOptions: ImageOptions, threads: Int, reportFailures: Bool) -> ModelScores {
        var scores = ModelScores(weightsPath: model.weights.path, isReferenceWeights: model.weights.isReferenceWeights,
                                 averaged: Array(repeating: nil, count: images.count),
                                 heads: Array(repeating: Array(repeating: nil, count: images.count), count: HeadScale.allCases.count))
        let progress = ProgressReporter(total: images.count)
        let pipeline = ImagePipeline(model: model, loader: imageOptions.makeLoader(),
                                     preprocessing: imageOptions.preprocessing.preprocessing,
                                     paths: images.map(\.file.fullPath), threads: threads)
        pipeline.run { index, result in
            switch result {
            case .success(let classified):
                let p = classified.prediction
                scores.averaged[index] = classOrder.map { Double(p.probabilities[$0]) }
                for (h, head) in p.heads.enumerated() {
                    scores.heads[h][index] = classOrder.map { Double(head.probabilities[$0]) }
                }
                if reportFailures, let note = ImageOptions.noteLine(for: classified.notes, path: images[index].file.fullPath) {
                    progress.log(note)
                }
            case .failure(let failure):
                if reportFailures { progress.log(failure.message) }
            }
            progress.advance(failed: (try? result.get()) == nil)
            return true
        }
        progress.finish()
        return scores
    }
}
