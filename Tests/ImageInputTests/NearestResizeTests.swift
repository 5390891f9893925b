import ImageInput
import Testing

/// ``NearestResize`` against Pillow's own index tables.
@Suite struct NearestResizeTests {
    static let sides = [512, 1000, 223, 225, 3, 1, 224, 448]

    @Test("source indices equal Pillow's", arguments: sides)
    func indicesMatchPillow(side: Int) throws {
        let expected = try #require(ImageInputFixtures.expected?.nearest_indices[String(side)],
                                    "no table for \(side): run \(ImageInputFixtures.regenerate)")
        #expect(NearestResize.sourceIndices(inputSize: side, outputSize: 224) == expected)
    }

    @Test func accumulationDiffersFromTheClosedForm() {
        // Pillow accumulates xo += in/out; floor((i + 0.5) * in/out) disagrees at boundaries.
        let indices = NearestResize.sourceIndices(inputSize: 512, outputSize: 224)
        let closedForm = (0..<224).map { Int((Double($0) + 0.5) * 512.0 / 224.0) }
        #expect(zip(indices, closedForm).filter { $0 != $1 }.count == 25)
    }

    @Test func sameSizeIsACopy() throws {
        let pixels = (0..<(5 * 4 * 3)).map { UInt8($0) }
        let image = try #require(RGBImage(width: 5, height: 4, pixels: pixels))
        #expect(NearestResize.resize(image, width: 5, height: 4) == image)
        #expect(NearestResize.resizeToFloats(image, width: 5, height: 4) == pixels.map(Float.init))
    }

    @Test func rowsAndColumnsUseTheSameRule() throws {
        // A 3 x 2 image whose pixel (x, y) holds (x, y, 7).
        var pixels: [UInt8] = []
        for y in 0..<2 { for x in 0..<3 { pixels += [UInt8(x), UInt8(y), 7] } }
        let image = try #require(RGBImage(width: 3, height: 2, pixels: pixels))
        let resized = try #require(NearestResize.resize(image, width: 7, height: 5))
        let columns = NearestResize.sourceIndices(inputSize: 3, outputSize: 7)
        let rows = NearestResize.sourceIndices(inputSize: 2, outputSize: 5)
        for y in 0..<5 {
            for x in 0..<7 {
                let o = (y * 7 + x) * 3
                #expect(Array(resized.pixels[o..<o + 3]) == [UInt8(columns[x]), UInt8(rows[y]), 7])
            }
        }
    }

    @Test func invalidSizes() throws {
        let image = try #require(RGBImage(width: 1, height: 1, pixels: [1, 2, 3]))
        #expect(NearestResize.resize(image, width: 0, height: 3) == nil)
        #expect(NearestResize.sourceIndices(inputSize: 0, outputSize: 3).isEmpty)
        #expect(RGBImage(width: 2, height: 1, pixels: [1, 2, 3]) == nil)
    }
}
