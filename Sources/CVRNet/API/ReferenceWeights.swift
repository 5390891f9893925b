/// Facts about this project's reference weights and the model's cost, shared by `cvrnet` and
/// `cvrnet-benchmark` (tools/cvrnet_common.py holds the same two for the Python tools).
public enum ReferenceWeights {
    /// Where `tools/prepare.sh` writes the default weights, relative to the repository root:
    /// untrained seeded weights (`tools/make_reference_weights.py`), for testing only.
    public static let defaultRelativePath = "weights/reference-2class-keras231-weights.hdf5"

    /// Multiply-adds x 2 of one CVR-Net forward pass at 224x224 (the figure the project quotes).
    public static let gflopPerImage = 16.8
}
