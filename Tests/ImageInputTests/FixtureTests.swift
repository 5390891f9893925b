import Foundation
import Testing

/// The generated expectations must exist; every table-driven test depends on them.
@Suite struct FixtureTests {
    @Test func expectedFileIsPresent() {
        #expect(ImageInputFixtures.expected != nil,
                "\(ImageInputFixtures.expectedURL.path) is missing or unreadable: run \(ImageInputFixtures.regenerate)")
        #expect(ImageInputFixtures.pngImages.count >= 30)
        #expect(ImageInputFixtures.jpegImages.count >= 10)
        #expect(ImageInputFixtures.brokenFiles.count >= 10)
    }
}
