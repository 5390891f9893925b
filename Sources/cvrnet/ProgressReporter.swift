import Foundation

/// Progress of a batch on stderr: redrawn in place on a terminal (done/total, images per
/// second, ETA), plain lines every 10 seconds or 100 images otherwise (logs, Slurm, CI).
/// Other diagnostics go through `log` so they never land in the middle of a progress line.
/// Used from one thread.
final class ProgressReporter {
    private let total: Int
    private let interactive: Bool
    private let start: DispatchTime
    private(set) var done = 0
    private(set) var failed = 0
    private var lastDraw: UInt64
    private var lastLineDone = 0
    private var lineShown = false

    static let lineInterval: Double = 10
    static let lineEvery = 100

    init(total: Int, interactive: Bool = Console.stderrIsTerminal) {
        self.total = total
        self.interactive = interactive
        start = DispatchTime.now()
        lastDraw = start.uptimeNanoseconds
    }

    /// Seconds since the reporter was made.
    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

    /// Images per second so far.
    var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }

    /// A diagnostic line (already without the `cvrnet: ` prefix).
    func log(_ message: String) {
        if interactive && lineShown { Console.rawError("\r\u{1B}[K") }
        Console.error(message)
        if interactive && lineShown { draw() }
    }

    /// One image is done.
    func advance(failed didFail: Bool) {
        done += 1
        if didFail { failed += 1 }
        let now = DispatchTime.now().uptimeNanoseconds
        if interactive {
            if now - lastDraw >= 100_000_000 || done == total {
                lastDraw = now
                draw()
            }
        } else if done - lastLineDone >= Self.lineEvery
                    || (Double(now - lastDraw) / 1e9 >= Self.lineInterval && done < total) {
            lastDraw = now
            lastLineDone = done
            Console.error("progress: " + status)
        }
    }

    /// Ends the display with a summary line.
    func finish(verb: String = "scored") {
        if interactive && lineShown { Console.rawError("\r\u{1B}[K") }
        lineShown = false
        let seconds = String(format: "%.1f", elapsed)
        let speed = String(format: "%.2f", rate)
        Console.error("\(verb) \(done) image\(done == 1 ? "" : "s") in \(seconds) s (\(speed) images/s)"
                      + (failed > 0 ? ", \(failed) failed" : ""))
    }

    private var status: String {
        var text = "\(done)/\(total) images, " + String(format: "%.2f", rate) + " images/s"
        if done > 0 && done < total && rate > 0 {
            text += ", ETA " + Self.duration(Double(total - done) / rate)
        }
        if failed > 0 { text += ", \(failed) failed" }
        return text
    }

    private func draw() {
        Console.rawError("\r\u{1B}[K" + status)
        lineShown = true
    }

    /// "42s", "3m05s", "2h07m".
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
