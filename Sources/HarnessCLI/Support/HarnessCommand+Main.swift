import ArgumentParser
import Devices
import Foundation

extension HarnessCommand {
    /// Parses the arguments and runs the command, mapping every error to the documented exit
    /// status: usage errors and invalid input exit 2 with a message, never a stack trace.
    public static func runMain(arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Int32 {
        DescriptorLimit.raiseToHard()
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as InvalidInput {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
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
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            // argument-parser uses 64 (EX_USAGE) for usage errors; harness documents 2.
            return code.rawValue == 64 || code == .validationFailure ? ExitStatus.invalidInput.rawValue : code.rawValue
        }
    }
}
