import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Evaluation

/// The report's charts are well-formed SVG, put points where the axes say, and escape text.
struct SVGChartTests {
    static func parse(_ svg: String) throws -> XMLDocument {
        try XMLDocument(xmlString: svg, options: [])
    }

    @Test func lineChartIsWellFormedAndMapsTheUnitSquare() throws {
        let series = [SVGChart.Series(name: "A<&>\"", color: "#123456", dash: "", points: [(x: 0, y: 0), (x: 0.5, y: 1), (x: 1, y: 1)]),
                      SVGChart.Series(name: "undefined", color: "#000", dash: "2 3", points: [(x: .nan, y: .nan), (x: .nan, y: .nan)])]
        let svg = SVGChart.lineChart(title: "ROC", xLabel: "x", yLabel: "y", series: series, diagonal: true)
        let document = try Self.parse(svg)
        let paths = try document.nodes(forXPath: "//*[local-name()='path']")
        #expect(paths.count == 1, "one drawable series; the NaN one is only in the legend")
        let start = try #require(svg.range(of: "<path d=\""))
        let d = String(svg[start.upperBound...].prefix { $0 != "\"" })
        // Plot box: x from 52 to 352, y from 330 (value 0) up to 30 (value 1).
        #expect(d == "M52 330 L202 30 L352 30")
        #expect(svg.contains("A&lt;&amp;&gt;&quot;"), "legend text escaped")
        #expect(svg.contains("undefined (undefined)"), "an undefined curve says so")
    }

    @Test func heatmapShowsEveryCell() throws {
        let svg = SVGChart.heatmap(labels: ["a", "b"], counts: [[3, 1], [0, 4]], fractions: [[0.75, 0.25], [0, 1]])
        let document = try Self.parse(svg)
        #expect(try document.nodes(forXPath: "//*[local-name()='rect']").count == 4)
        let texts = try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        for expected in ["3", "1", "0", "4", "75%", "25%", "0%", "100%"] {
            #expect(texts.contains(expected), "cell text \(expected)")
        }
    }
}
