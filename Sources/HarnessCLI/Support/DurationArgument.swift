import ArgumentParser
import Scenario

/// A duration flag value such as `1h`, `90s` or `500ms`.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    var duration: Duration

    init(duration: Duration) {
        self.duration = duration
    }

    /// Parses `500ms`, `1h`; `-5s` gives a negative duration, for the flag's own check to
    /// refuse with its reason.
    init?(argument: String) {
        let negative = argument.hasPrefix("-")
        guard case .success(let duration) = ScenarioDuration.parse(negative ? String(argument.dropFirst()) : argument) else { return nil }
        self.duration = negative ? .zero - duration : duration
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The duration as written in scenario files (`300s`, `10m`), also in `--help`'s defaults.
    var description: String { ScenarioDuration.format(duration) }

    var defaultValueDescription: String { description }
}
