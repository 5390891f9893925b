import ArgumentParser
import CVRNetKernels

@main
struct CVRNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvrnet",
        abstract: "Run a Keras-trained CVR-Net (arXiv 2007.11993) on chest radiographs.",
        discussion: """
        CVR-Net runs ResNet50 and Xception on one 224x224 input, classifies five feature maps \
        of different scales with five heads and averages their softmax outputs. cvrnet reads \
        the Keras HDF5 weights file and decodes PNG/JPEG exactly as Keras load_img does, \
        without Python or TensorFlow.

        Results go to stdout, progress and diagnostics to stderr (one line per problem, \
        naming the file). Run 'cvrnet help <command>' for a command's options and output format.

        WEIGHTS AND LABELS (every command)
          --weights PATH    else $CVRNET_WEIGHTS, else the default weights file
                            weights/reference-2class-keras231-weights.hdf5, looked
                            up in the current directory, then above the executable
          --labels A,B,...  else the sidecar <weights path>.labels.json holding
                            ["NCP", "NOR"] or {"labels": ["NCP", "NOR"]}; else
                            NCP,NOR / CPN,NCP,NOR / CPB,CPV,NCP,NOR for 2 / 3 / 4
                            classes (Keras's sorted class-folder order)

        The project's reference weights are untrained: cvrnet says so on stderr when it runs \
        them, and their predictions carry no clinical meaning. cvrnet is not a medical device.

        \(ExitStatus.helpSection())
        """,
        // With the kernel path, CPU features and OpenBLAS's kernel choice, so that a bug report
        // that quotes `cvrnet --version` says which arithmetic ran.
        version: (["cvrnet 0.1.0"] + KernelSelection.current.reportLines).joined(separator: "\n"),
        subcommands: [ClassifyCommand.self, ScoreCommand.self, InspectCommand.self, CheckWeightsCommand.self, CheckDICOMCommand.self,
                      ExplainCommand.self,
                      EvaluateCommand.self])
}
