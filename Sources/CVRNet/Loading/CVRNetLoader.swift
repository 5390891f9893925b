import CVRNetKernels
import KerasFormat

/// Resolves CVR-Net's layers in a Keras weights file and builds the graph.
enum CVRNetLoader {
    /// Builds the graph from `file`, its convolutions on `bfloat16` when given; returns it with
    /// the naming scheme it found.
    static func build(from file: KerasWeightsFile, bfloat16: BFloat16Kernel? = nil) throws(CVRNetError) -> (CVRNetGraph, NamingScheme) {
        let names = file.layerNames
        guard let scheme = NamingScheme.detect(layerNames: Set(names)) else {
            throw .unknownLayout(path: file.path, detail: "neither 'res_conv1_conv' (tf.keras names) nor 'res_conv1' "
                + "(Keras 2.3.1 names) is among its \(names.count) layers; CVR-Net prefixes its ResNet50 layers with 'res_'")
        }
        let binder = KerasWeightBinder(file: file, scheme: scheme, bfloat16: bfloat16)

        // Xception's residual projections: auto-named, in creation order (blocks 2, 3, 4, 13).
        let (convs, norms) = CVRNetLayout.xceptionResidualLayers(in: names)
        let residuals = CVRNetLayout.xceptionResidualBlocks.count
        guard convs.count == residuals, norms.count == residuals else {
            throw .autoNamedLayers(path: file.path, detail: "expected \(residuals) Xception residual layers 'xce_conv2d*' and \(residuals) "
                + "'xce_batch_normalization*', found \(convs.count) and \(norms.count)")
        }
        // Head Dense layers other than MKH_k: auto-named, created head by head (512, 128, N).
        let dense = CVRNetLayout.autoNamedDense(in: names)
        guard let headNames = CVRNetLayout.headLayers(autoNamedDense: dense) else {
            throw .autoNamedLayers(path: file.path, detail: "expected \(CVRNetLayout.autoNamedDenseCount) auto-named head Dense layers 'dense*' "
                + "(\(CVRNetLayout.autoNamedDensePerHead) per head besides MKH_1..MKH_5), found \(dense.count)")
        }
        var counts: [Int] = []
        for h in headNames { counts.append(try binder.finalUnits(of: h[3], inputs: CVRNetLayout.headHiddenUnits.last!)) }
        guard Set(counts).count == 1, let classes = counts.first else {
            throw .headsDisagree(path: file.path, classCounts: counts)
        }
        guard classes >= CVRNetLayout.minimumClasses else {
            throw .unknownLayout(path: file.path, detail: "the heads have \(classes) output unit; CVR-Net needs at least 2 classes")
        }

        let input = CVRNetGraph.inputShape
        let resnet = try ResNet50Encoder(input: input, names: ResNet50LayerNames(scheme: scheme), source: binder)
        let xception = try XceptionEncoder(input: input, names: XceptionLayerNames(residualLayers: Array(zip(convs, norms))),
                                           source: binder)
        let inputs = CVRNetLayout.headInputs(resnetOutput: resnet.outputShape.channels, xceptionOutput: xception.outputShape.channels)
        var heads: [ClassificationHead] = []
        for (scale, (width, layerNames)) in zip(HeadScale.allCases, zip(inputs, headNames)) {
            heads.append(try ClassificationHead(scale: scale, inputs: width, classes: classes, names: layerNames, source: binder))
        }
        return (CVRNetGraph(resnet: resnet, xception: xception, heads: heads), scheme)
    }
}
