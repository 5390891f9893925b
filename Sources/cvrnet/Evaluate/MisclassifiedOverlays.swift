import CVRNet
import Foundation
import ImageInput

/// The Grad-CAM overlays the HTML report shows beside its misclassified images: for each, the
/// combined map of the class the model predicted (what drew it to the wrong answer) over the
/// image, drawn by `HeatmapOverlay` as `explain` draws NAME.gradcam.png, at `width` pixels wide.
///
/// Only with one model: an ensemble's prediction is a mean of several models' outputs and has no
/// Grad-CAM of its own, so with several `--weights` the report shows plain thumbnails and says so.
/// Each overlay costs about one forward pass, so only the images the report shows thumbnails for
/// (at most `EvaluationHTMLReport.thumbnailLimit`) are explained.
enum MisclassifiedOverlays {
    /// Width of an overlay in the report, in pixels (its height keeps the image's aspect ratio).
    static let width = 160

    /// PNG files, keyed by image index (into `results.paths`); an image that cannot be explained
    /// is named on stderr and has no entry (its plain thumbnail is still shown).
    /// - Parameter classOrder: for each folder class, the model output that belongs to it.
    static func render(model: CVRNetModel, results: EvaluationResults, directory: String, classOrder: [Int],
                       imageOptions: ImageOptions) -> [Int: Data] {
        let wrong = EvaluationHTMLReport.misclassified(results).prefix(EvaluationHTMLReport.thumbnailLimit)
        guard !wrong.isEmpty else { return [:] }
        Console.error("explaining the \(wrong.count) misclassified images for the report (Grad-CAM, one forward pass each)")
        let loader = imageOptions.makeLoader()
        let preprocessing = imageOptions.preprocessing.preprocessing
        let predicted = results.primary.averaged.predicted
        var overlays: [Int: Data] = [:]
        for i in wrong {
            let path = directory + "/" + results.paths[i]
            do {
                let original = try loader.decodeRGB(path: path)
                var pixels = NearestResize.resizeToFloats(original, width: CVRNetModel.inputWidth, height: CVRNetModel.inputHeight)
                preprocessing.apply(to: &pixels)
                let explanation = try model.explain(pixels: pixels, classIndex: classOrder[predicted[i]])
                let height = max(1, (original.height * width + original.width / 2) / original.width)
                guard let small = NearestResize.resize(original, width: width, height: height) else { continue }
                // A short title: the legend is one line of a 160-pixel picture; the page itself
                // carries the full untrained-weights note.
                let title = explanation.label + (model.weights.isReferenceWeights ? " UNTRAINED" : "")
                overlays[i] = try PNGEncoder.encode(HeatmapOverlay.combined(explanation, over: small, title: title))
            } catch {
                Console.error("\(path): no Grad-CAM overlay for the report: \((error as? CVRNetError)?.description ?? HeatmapFiles.describe(error))")
            }
        }
        return overlays
    }
}
