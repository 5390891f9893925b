import Foundation
import ImageInput
import TestSupport
import Testing

/// Real DICOM files (CR chest and extremity, LUT files, JPEG lossless / JPEG-LS / RLE /
/// JPEG 2000, colour ultrasound) against the PNGs `dcmj2pnm` renders from them, written by
/// `tools/make_dicom_real_data.py` (run by `tools/prepare.sh`). Skipped, with the reason, only
/// when that step has not run.
@Suite
struct DICOMRealDataTests {
    /// Every file, frame 1: the 8-bit picture (grey replicated, or RGB) equals dcmj2pnm's
    /// byte for byte.
    @Test func pictureEqualsDcmj2pnm() throws {
        let data = try DICOMRealData.load()
        #expect(data.files.count >= 15)
        let loader = KerasImageLoader()
        var checked = 0, pixels = 0
        for file in data.files {
            let image = try loader.decodeRGB(path: data.dicomPath(file))
            let reference = try loader.decodeRGB(path: data.pngPath(file.png))
            #expect(image.width == file.columns && image.height == file.rows, "\(file.file)")
            #expect(image.width == reference.width && image.height == reference.height, "\(file.file)")
            let difference = image.pixels.count == reference.pixels.count
                ? zip(image.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0 : Int.max
            #expect(difference == 0, "\(file.file) (\(file.what), \(file.transfer_syntax)): up to \(difference) from dcmj2pnm \(file.dcmj2pnm_options)")
            #expect(image.pilMode == reference.pilMode, "\(file.file): mode \(image.pilMode), PNG \(reference.pilMode)")
            checked += 1
            pixels += image.width * image.height
        }
        #expect(checked == data.files.count)
        print("DICOM real data: \(checked) files, \(pixels) pixels equal to dcmj2pnm")
    }

    /// The CR chest's network input equals Keras `img_to_array(load_img(png, target_size=(224,
    /// 224)))` of dcmj2pnm's PNG, bit for bit (FNV-1a 64 of the float32 bytes).
    @Test func chestModelInputEqualsKeras() throws {
        let data = try DICOMRealData.load()
        let input = try KerasImageLoader().load(path: data.chestDICOMPath)
        #expect(input.width == 224 && input.height == 224 && input.sourceFormat == .dicom)
        #expect(fnv1a64(input.pixels) == data.chest.input_fnv1a64, "\(data.chest.file): input differs from Keras on \(data.chest.png)")
        let fromPNG = try KerasImageLoader().load(path: data.pngPath(data.chest.png))
        #expect(fromPNG.pixels == input.pixels)
    }
}
