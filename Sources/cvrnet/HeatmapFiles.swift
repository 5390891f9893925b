import CVRNet
import ImageInput

/// The files `explain` (and `score --heatmaps`) write for one image, all named `BASE...`:
/// `BASE.png` / `BASE.npy` (combined map) and `BASE.<head>.png` / `BASE.<head>.npy` per head.
enum HeatmapFiles {
    static func write(_ explanation: GradCAMExplanation, over original: RGBImage, base: String, untrainedWeights: Bool) throws {
        let size = GradCAMExplanation.combinedSize
        try PNGEncoder.write(HeatmapOverlay.combined(explanation, over: original,
                                                     title: HeatmapOverlay.title(explanation.label, "COMBINED", untrainedWeights: untrainedWeights)),
                             to: base + ".png")
        try NpyWriter.write(explanation.combined, shape: [size, size], to: base + ".npy")
        for head in explanation.heads {
            let name = base + "." + head.scale.identifier
            try PNGEncoder.write(HeatmapOverlay.render(image: original, map: head.normalizedMap, mapHeight: head.height,
                                                       mapWidth: head.width, title: HeatmapOverlay.title(explanation.label, "\(head.scale)", untrainedWeights: untrainedWeights)),
                                 to: name + ".png")
            try NpyWriter.write(head.map, shape: [head.height, head.width], to: name + ".npy")
        }
    }

    /// One phrase for a write failure (libpng's message or the file system's).
    static func describe(_ error: Error) -> String {
        if let e = error as? PNGEncodingError { return e.message }
        if let e = error as? ImageInputError { return ErrorMessages.image(e) }
        return WeightsOptions.describe(error)
    }
}
