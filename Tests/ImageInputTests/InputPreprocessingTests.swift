import ImageInput
import TestSupport
import Testing

/// ``InputPreprocessing`` against `keras.applications.imagenet_utils.preprocess_input`.
@Suite struct InputPreprocessingTests {
    @Test func modesEqualKerasBitForBit() throws {
        let expected = try #require(ImageInputFixtures.expected?.preprocessing,
                                    "run \(ImageInputFixtures.regenerate)")
        let input = try KerasImageLoader().load(path: ImageInputFixtures.path(expected.file))
        let cases: [(InputPreprocessing, String)] = [
            (.caffe, expected.caffe_fnv1a64), (.tf, expected.tf_fnv1a64), (.scale01, expected.scale01_fnv1a64),
        ]
        for (mode, hash) in cases {
            var pixels = input.pixels
            mode.apply(to: &pixels)
            #expect(fnv1a64(pixels) == hash, "\(mode)")
        }
        var untouched = input.pixels
        InputPreprocessing.none.apply(to: &untouched)
        #expect(untouched == input.pixels)
    }

    @Test func caffeOutputsBGR() {
        var pixels: [Float] = [10, 20, 30]
        InputPreprocessing.caffe.apply(to: &pixels)
        #expect(pixels == [30 - Float(103.939), 20 - Float(116.779), 10 - Float(123.68)])
    }

    @Test func rawValuesAreTheCaseNames() {
        #expect(InputPreprocessing.allCases.map(\.rawValue) == ["none", "scale01", "caffe", "tf"])
    }
}
