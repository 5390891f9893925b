import Foundation

/// A child process with its output discarded and a time limit, started with `posix_spawn` and
/// reaped with `waitpid` (no polling interval to pay on every short-lived child).
enum ChildProcess {
    enum Outcome: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
    }

    /// Runs `executable arguments...` with stdin, stdout and stderr on /dev/null; nil when it
    /// cannot be started or its status cannot be read. A crash in the child must not start Swift's backtracer (seconds of
    /// symbolication for a report nobody reads), and the child needs no BLAS threads.
    static func run(_ executable: String, _ arguments: [String], timeLimit: TimeInterval) -> Outcome? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["SWIFT_BACKTRACE"] = "enable=no"
        environment["OPENBLAS_NUM_THREADS"] = "1"
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else { return nil }

        // Short children are reaped within a fraction of a millisecond: the sleep between polls
        // starts at 0.2 ms and doubles up to 20 ms.
        let deadline = Date().addingTimeInterval(timeLimit)
        var pause: useconds_t = 200
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0 && errno != EINTR { return nil }  // reaped elsewhere: outcome unknown
            if Date() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        // WIFEXITED / WTERMSIG are macros Swift does not import.
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
