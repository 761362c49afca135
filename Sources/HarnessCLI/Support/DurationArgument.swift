import ArgumentParser
import Scenario

/// A duration flag value such as `1h`, `90s` or `500ms`.
struct DurationArgument: ExpressibleByArgument {
    var duration: Duration

    init(duration: Duration) {
        self.duration = duration
    }

    init?(argument: String) {
        guard case .success(let duration) = ScenarioDuration.parse(argument) else { return nil }
        self.duration = duration
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
