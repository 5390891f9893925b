import CVRNet
import ImageInput

/// Draws a Grad-CAM map over the original image, at the image's own size, with a legend strip
/// below it.
///
/// - The map (values in [0, 1], any grid size) is resized to the image's width and height with
///   the same bilinear half-pixel-centre rule as the combined map (`BilinearResize`). The model
///   saw the image stretched to 224x224 without keeping its aspect ratio, so stretching the map
///   back the same way lines each map cell up with the part of the image it saw; the image
///   itself is never distorted.
/// - Colour: viridis of the map value, alpha-blended over the image with a constant
///   `alpha` (0.45: the Keras Grad-CAM example superimposes its heatmap at 0.4; a little more
///   because viridis is darker than jet). Value 0 tints dark violet, 1 yellow.
/// - Legend strip (below the image, never covering it): the title on one line, then a colour
///   bar from 0 to 1 with its end values, on a dark background.
enum HeatmapOverlay {
    static let alpha: Float = 0.45

    /// The combined map of `explanation` (224x224) over `image`: the picture `explain` writes as
    /// NAME.gradcam.png and the `evaluate` report shows beside a misclassified image.
    static func combined(_ explanation: GradCAMExplanation, over image: RGBImage, title: String) -> RGBImage {
        let size = GradCAMExplanation.combinedSize
        return render(image: image, map: explanation.combined, mapHeight: size, mapWidth: size, title: title)
    }

    /// The legend's title: the class explained, which map, and for untrained weights a warning
    /// on the picture itself (a picture travels without the page or terminal that explained it).
    static func title(_ label: String, _ map: String, untrainedWeights: Bool) -> String {
        "\(label) \(map)" + (untrainedWeights ? " - UNTRAINED WEIGHTS" : "")
    }

    static func render(image: RGBImage, map: [Float], mapHeight: Int, mapWidth: Int, title: String) -> RGBImage {
        let w = image.width, h = image.height
        let values = BilinearResize.resize(map, height: mapHeight, width: mapWidth, outHeight: h, outWidth: w)
        // Legend geometry: glyph scale grows with the image so the text stays readable, but
        // shrinks (down to 1) before the title is cut.
        var scale = max(1, min(4, w / 220))
        while scale > 1 && BitmapFont.width(of: title, scale: scale) > w - 6 * scale { scale -= 1 }
        let pad = 3 * scale
        let line = BitmapFont.glyphHeight * scale
        let stripHeight = pad + line + pad + line + pad
        let outHeight = h + stripHeight
        var out = [UInt8](repeating: 24, count: w * outHeight * 3)
        for i in 0..<(w * h) {
            let (r, g, b) = Viridis.color(values[i])
            let o = i * 3
            out[o] = blend(image.pixels[o], r)
            out[o + 1] = blend(image.pixels[o + 1], g)
            out[o + 2] = blend(image.pixels[o + 2], b)
        }
        let white: (UInt8, UInt8, UInt8) = (235, 235, 235)
        // Title, cut to the width.
        var text = title
        while !text.isEmpty && BitmapFont.width(of: text, scale: scale) > w - 2 * pad { text.removeLast() }
        BitmapFont.draw(text, x: pad, y: h + pad, scale: scale, color: white, into: &out, width: w, height: outHeight)
        // Colour bar: "0" [bar] "1".
        let barY = h + pad + line + pad
        let zeroWidth = BitmapFont.width(of: "0", scale: scale)
        let barLeft = pad + zeroWidth + pad
        let barRight = w - pad - BitmapFont.width(of: "1", scale: scale) - pad
        if barRight - barLeft >= 8 {
            BitmapFont.draw("0", x: pad, y: barY, scale: scale, color: white, into: &out, width: w, height: outHeight)
            BitmapFont.draw("1", x: barRight + pad, y: barY, scale: scale, color: white, into: &out, width: w, height: outHeight)
            for x in barLeft..<barRight {
                let (r, g, b) = Viridis.color(Float(x - barLeft) / Float(barRight - barLeft - 1))
                for y in barY..<(barY + line) {
                    let o = (y * w + x) * 3
                    out[o] = r
                    out[o + 1] = g
                    out[o + 2] = b
                }
            }
        }
        return RGBImage(width: w, height: outHeight, pixels: out)!
    }

    private static func blend(_ base: UInt8, _ color: UInt8) -> UInt8 {
        UInt8((Float(base) * (1 - alpha) + Float(color) * alpha).rounded())
    }
}
