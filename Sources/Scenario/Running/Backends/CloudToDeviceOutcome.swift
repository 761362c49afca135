/// What a back end's C2D send came to. The session compares it with what the step expects
/// (acceptance, or a refusal with a given error code).
enum CloudToDeviceOutcome: Sendable, Hashable {
    /// The hub or broker took the message.
    case accepted
    /// The hub refused it: its IoT Hub error code when it gave one, and what it said.
    case refused(code: String?, reason: String)
    /// No verdict: the request failed, timed out or could not be made. The step ends so.
    case failed(StepStatus)

    /// The step's status when the step expects `refusal` (`nil`: acceptance).
    func status(expecting refusal: CloudToDeviceRefusal?) -> StepStatus {
        switch (self, refusal) {
        case (.failed(let status), _):
            return status
        case (.accepted, nil):
            return .passed
        case (.accepted, let refusal?):
            return .failed(Failure(expected: "the hub to refuse the message\(refusal.summary)", observed: "it accepted it"))
        case (.refused(_, let reason), nil):
            return .failed(Failure(expected: "the hub to accept the message", observed: "it refused: \(reason)"))
        case (.refused, .any):
            return .passed
        case (.refused(let code, let reason), .code(let expected)):
            if code == expected { return .passed }
            return .failed(Failure(expected: "the hub to refuse the message with \(expected)", observed: "it refused: \(reason)"))
        }
    }
}
