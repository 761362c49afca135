import Devices

/// What an action waits for, and how its device operation's outcome becomes the step's status.
extension RunSession {
    /// What an action waits for, in a failure's words: `expected PUBACK; observed no PUBACK:
    /// connection to 127.0.0.1:1883 refused: is the broker running?`.
    struct Awaited {
        /// What should have come: `PUBACK`, `the bytes written`.
        var expected: String
        /// What was observed when the connection ended first, before its reason: `no PUBACK`.
        var missing: String
        /// What was observed at the deadline: `nothing arrived`.
        var pending: String

        init(expected: String, missing: String? = nil, pending: String = "nothing arrived") {
            self.expected = expected
            self.missing = missing ?? "no \(expected)"
            self.pending = pending
        }
    }

    /// Runs a device operation within the action timeout: its outcome as the step's status.
    /// - Parameter refusalJudgedLater: an MQTT 5.0 refusal (an answer with a failure reason
    ///   code) passes: an expectation that follows judges its reason code.
    func outcomeStatus(
        _ awaited: Awaited,
        refusalJudgedLater: Bool = false,
        _ operation: @escaping @Sendable () async throws -> OperationOutcome
    ) async -> StepStatus {
        do {
            let timeout = environment.scaled(environment.actionTimeout)
            guard let outcome = try await withTimeout(timeout, operation) else {
                return .failed(Failure(expected: "\(awaited.expected) within \(ScenarioDuration.format(timeout))", observed: awaited.pending))
            }
            switch outcome {
            case .answered:
                return .passed
            case .connectionEnded(let reason):
                return .failed(Failure(expected: awaited.expected, observed: "\(awaited.missing): \(reason)"))
            case .unsupported(let reason):
                return .errored(message: reason)
            case .refused(let reason):
                if refusalJudgedLater { return .passed }
                return .failed(Failure(expected: awaited.expected, observed: reason))
            case .protocolViolation(let reason):
                return .failed(Failure(expected: awaited.expected, observed: reason))
            }
        } catch {
            return .errored(message: "\(error)")
        }
    }
}
