import ArgumentParser
import Devices
import Foundation
import Reporting

extension HarnessCommand {
    /// Parses the arguments and runs the command, mapping every error to the documented exit
    /// status: usage errors and invalid input exit 2 with a message, never a stack trace.
    public static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Int32 {
        DescriptorLimit.raiseToHard()
        // A reader that goes away (`harness run ... | head -1`) makes writes fail instead of
        // killing the process: output is dropped (FileHandle.show) and the run still writes
        // its reports and returns its status.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as InvalidInput {
            FileHandle.standardError.show(error.description + "\n")
            return ExitStatus.invalidInput.rawValue
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                return 0
            }
            if let exit = error as? ExitCode {
                return exit.rawValue
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.show(message + "\n") }
            // argument-parser uses 64 (EX_USAGE) for usage errors; harness documents 2.
            return code.rawValue == 64 || code == .validationFailure ? ExitStatus.invalidInput.rawValue : code.rawValue
        }
    }
}
