import ArgumentParser
import Foundation
import Reporting
import Scenario

/// Options that shape how scenario files load: variables and target overrides.
struct ScenarioOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("Set a variable for ${NAME} in scenario files (repeatable).", valueName: "NAME=value"))
    var variables: [String] = []

    @Option(name: .customLong("secret"), help: ArgumentHelp("Set a variable whose value is masked in every report and console line (repeatable).", valueName: "NAME=value"))
    var secrets: [String] = []

    @Option(help: ArgumentHelp("Run against this hub instead of the file's hub or targets: simulated, simulated+tcp, mqtt://host:port, mqtts://host:port?ca_file=..., azure://NAME.azure-devices.net.", valueName: "hub"))
    var hub: String?

    @Option(name: .customLong("device"), help: ArgumentHelp("Override a device setting for every device (repeatable), for example profile=umqtt-simple.", valueName: "key=value"))
    var deviceOverrides: [String] = []

    func validate() throws {
        for (flag, values) in [("--set", variables), ("--secret", secrets), ("--device", deviceOverrides)] {
            for value in values where Self.split(value) == nil {
                throw ValidationError("\(flag) takes NAME=value, not '\(value)'")
            }
        }
        for value in variables + secrets {
            if let (name, _) = Self.split(value), !Self.isName(name) {
                throw ValidationError("'\(name)' is not a variable name (letters, digits and '_')")
            }
        }
    }

    /// The load options, with the process environment.
    func makeLoadOptions() -> LoadOptions {
        var overrides: [String: String] = [:]
        var secretNames: Set<String> = []
        for value in variables { if let (name, text) = Self.split(value) { overrides[name] = text } }
        for value in secrets {
            if let (name, text) = Self.split(value) {
                overrides[name] = text
                secretNames.insert(name)
            }
        }
        return LoadOptions(
            variables: Variables(overrides: overrides, environment: ProcessInfo.processInfo.environment, secretNames: secretNames),
            hubOverride: hub,
            deviceOverrides: deviceOverrides.compactMap(Self.split).map { (key: $0.0, value: $0.1) }
        )
    }

    static func split(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    static func isName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}

/// `--shard i/n`: which part of a set of scenarios this run takes.
struct Shard: ExpressibleByArgument, Equatable {
    var index: Int
    var count: Int

    init?(argument: String) {
        guard let shard = try? Self.parse(argument) else { return nil }
        self = shard
    }

    private init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n`, saying what is wrong with anything else.
    static func parse(_ argument: String) throws -> Shard {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ValidationError("--shard takes i/n, two whole numbers such as 2/4, not '\(argument)'")
        }
        guard count >= 1, (1...count).contains(index) else {
            throw ValidationError("--shard \(argument): i must be from 1 to n (shards are numbered 1/\(max(count, 1)) to \(max(count, 1))/\(max(count, 1)))")
        }
        return Shard(index: index, count: count)
    }

    /// The shard a Kubernetes Indexed Job gives this pod: `JOB_COMPLETION_INDEX` (0-based, set
    /// by Kubernetes) and `JOB_COMPLETIONS` (the job's completions, which the manifest passes),
    /// as shard index + 1 of completions. `nil` when the environment names no shard.
    /// - Throws: a plain error for a value that is not a whole number in range, or an index
    ///   without the count.
    static func fromEnvironment(_ environment: [String: String]) throws(InvalidInput) -> Shard? {
        guard let indexText = environment["JOB_COMPLETION_INDEX"] else { return nil }
        guard let countText = environment["JOB_COMPLETIONS"] else {
            throw InvalidInput(description: "error: JOB_COMPLETION_INDEX is set (\(ControlCharacterEscaping.escape(indexText))) but JOB_COMPLETIONS is not: pass the job's completions to the pod as JOB_COMPLETIONS, or give --shard i/n")
        }
        guard let count = Int(countText.trimmingCharacters(in: .whitespaces)), count >= 1 else {
            throw InvalidInput(description: "error: JOB_COMPLETIONS must be a whole number of 1 or more (the job's completions), not '\(ControlCharacterEscaping.escape(countText))'")
        }
        guard let index = Int(indexText.trimmingCharacters(in: .whitespaces)), (0..<count).contains(index) else {
            throw InvalidInput(description: "error: JOB_COMPLETION_INDEX must be a whole number from 0 to \(count - 1) (JOB_COMPLETIONS is \(count)), not '\(ControlCharacterEscaping.escape(indexText))'")
        }
        return Shard(index: index + 1, count: count)
    }

    /// This shard's share of `files`: after sorting, every `count`-th file starting at
    /// `index`, so shards are balanced and the same on every machine.
    func select(from files: [String]) -> [String] {
        files.sorted().enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }
}

/// `--start-at`: an RFC 3339 time, not more than a minute in the past.
enum StartTime {
    /// How far in the past a start time may lie (shards started a little late still begin at
    /// once); further is a mistake, probably a stale manifest.
    static let tolerance: TimeInterval = 60

    static func parse(_ argument: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: argument) ?? plain.date(from: argument) else {
            throw ValidationError("--start-at takes an RFC 3339 time such as 2026-12-05T10:00:00Z, not '\(argument)'")
        }
        guard date.timeIntervalSinceNow >= -tolerance else {
            throw ValidationError("--start-at \(argument) is \(Int(-date.timeIntervalSinceNow)) s in the past (at most \(Int(tolerance)) s is allowed): give a time to come")
        }
        return date
    }
}
