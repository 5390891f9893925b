import Foundation

/// Small inline-SVG charts for the HTML report: line charts on the unit square (ROC and
/// precision-recall curves) and a heatmap (the confusion matrix). Text stays text (selectable,
/// printable); no scripts, no external fonts.
public enum SVGChart {
    public struct Series {
        public let name: String
        public let color: String
        /// SVG stroke-dasharray, "" for solid.
        public let dash: String
        public let points: [(x: Double, y: Double)]

        public init(name: String, color: String, dash: String, points: [(x: Double, y: Double)]) {
            self.name = name; self.color = color; self.dash = dash; self.points = points
        }
    }

    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// A line chart with both axes from 0 to 1, a legend below the plot.
    public static func lineChart(title: String, xLabel: String, yLabel: String, series: [Series], diagonal: Bool) -> String {
        let plot = 300.0, left = 52.0, top = 30.0
        let legendTop = top + plot + 44
        let height = legendTop + Double(series.count) * 16 + 8
        let width = left + plot + 20
        func x(_ v: Double) -> Double { left + v * plot }
        func y(_ v: Double) -> Double { top + (1 - v) * plot }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(number(width))\" height=\"\(number(height))\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"\(number(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"title\">\(escape(title))</text>"
        svg += "<rect x=\"\(number(left))\" y=\"\(number(top))\" width=\"\(number(plot))\" height=\"\(number(plot))\" fill=\"#fff\" stroke=\"#444\"/>"
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            svg += "<line x1=\"\(number(x(tick)))\" y1=\"\(number(top))\" x2=\"\(number(x(tick)))\" y2=\"\(number(top + plot))\" stroke=\"#eee\"/>"
            svg += "<line x1=\"\(number(left))\" y1=\"\(number(y(tick)))\" x2=\"\(number(left + plot))\" y2=\"\(number(y(tick)))\" stroke=\"#eee\"/>"
            let label = String(format: "%.1f", tick)
            svg += "<text x=\"\(number(x(tick)))\" y=\"\(number(top + plot + 14))\" text-anchor=\"middle\" class=\"tick\">\(label)</text>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y(tick) + 4))\" text-anchor=\"end\" class=\"tick\">\(label)</text>"
        }
        svg += "<text x=\"\(number(x(0.5)))\" y=\"\(number(top + plot + 32))\" text-anchor=\"middle\" class=\"axis\">\(escape(xLabel))</text>"
        svg += "<text transform=\"translate(14 \(number(y(0.5)))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">\(escape(yLabel))</text>"
        if diagonal {
            svg += "<line x1=\"\(number(x(0)))\" y1=\"\(number(y(0)))\" x2=\"\(number(x(1)))\" y2=\"\(number(y(1)))\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>"
        }
        for (i, s) in series.enumerated() {
            let finite = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            if finite.count >= 2 {
                let path = finite.enumerated().map { j, p in "\(j == 0 ? "M" : "L")\(number(x(p.x))) \(number(y(p.y)))" }.joined(separator: " ")
                svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dash.isEmpty ? "" : " stroke-dasharray=\"\(s.dash)\"")/>"
            }
            let ly = legendTop + Double(i) * 16
            svg += "<line x1=\"\(number(left))\" y1=\"\(number(ly - 4))\" x2=\"\(number(left + 24))\" y2=\"\(number(ly - 4))\" stroke=\"\(s.color)\" stroke-width=\"2\"\(s.dash.isEmpty ? "" : " stroke-dasharray=\"\(s.dash)\"")/>"
            svg += "<text x=\"\(number(left + 30))\" y=\"\(number(ly))\" class=\"legend\">\(escape(s.name))\(finite.count >= 2 ? "" : " (undefined)")</text>"
        }
        return svg + "</svg>"
    }

    /// The confusion matrix: cells shaded by the row fraction, each with its count and %.
    public static func heatmap(labels: [String], counts: [[Int]], fractions: [[Double]]) -> String {
        let cell = 64.0, left = 96.0, top = 56.0
        let n = Double(labels.count)
        let width = left + n * cell + 10, height = top + n * cell + 36
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(number(width))\" height=\"\(number(height))\" viewBox=\"0 0 \(number(width)) \(number(height))\" role=\"img\" aria-label=\"confusion matrix\">"
        svg += "<text x=\"\(number(left + n * cell / 2))\" y=\"18\" text-anchor=\"middle\" class=\"axis\">predicted class</text>"
        svg += "<text transform=\"translate(14 \(number(top + n * cell / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">true class</text>"
        for (i, label) in labels.enumerated() {
            svg += "<text x=\"\(number(left + (Double(i) + 0.5) * cell))\" y=\"\(number(top - 8))\" text-anchor=\"middle\" class=\"tick\">\(escape(label))</text>"
            svg += "<text x=\"\(number(left - 8))\" y=\"\(number(top + (Double(i) + 0.5) * cell + 4))\" text-anchor=\"end\" class=\"tick\">\(escape(label))</text>"
        }
        for t in labels.indices {
            for p in labels.indices {
                let f = fractions[t][p]
                // White to dark blue; text turns white on dark cells.
                let shade = Int((255 * (1 - 0.75 * f)).rounded())
                let fill = "rgb(\(shade),\(Int((255 * (1 - 0.55 * f)).rounded())),255)"
                let x = left + Double(p) * cell, y = top + Double(t) * cell
                svg += "<rect x=\"\(number(x))\" y=\"\(number(y))\" width=\"\(number(cell))\" height=\"\(number(cell))\" fill=\"\(fill)\" stroke=\"#666\"/>"
                let ink = f > 0.6 ? "#fff" : "#000"
                svg += "<text x=\"\(number(x + cell / 2))\" y=\"\(number(y + cell / 2 - 2))\" text-anchor=\"middle\" fill=\"\(ink)\" class=\"count\">\(counts[t][p])</text>"
                svg += "<text x=\"\(number(x + cell / 2))\" y=\"\(number(y + cell / 2 + 14))\" text-anchor=\"middle\" fill=\"\(ink)\" class=\"tick\">\(String(format: "%.0f%%", 100 * f))</text>"
            }
        }
        return svg + "</svg>"
    }
}
