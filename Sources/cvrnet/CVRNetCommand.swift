import ArgumentParser
import CVRNet

@main
struct CVRNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cvrnet",
        abstract: "Run a Keras-trained CVR-Net on chest radiographs.")
}
