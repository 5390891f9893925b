/// How 16-bit PNG samples become the 0...255 values the model sees.
public enum SixteenBitPolicy: Sendable, Equatable, CaseIterable {
    /// What Keras `load_img` (PIL) does: a 16-bit gray image opens as mode `I;16` and
    /// `convert("RGB")` clips every value at 255 (so 256...65535 all become 255);
    /// 16-bit RGB, RGBA and gray+alpha keep only the high byte (`v >> 8`).
    case clip
    /// Every 16-bit sample becomes `v * 255 / 65535`, rounded. Keeps the picture of a
    /// full-range 16-bit image, but is not what a Keras-trained model saw.
    case rescale
}
