import Scenario

/// Turns every check of a scenario into its opposite, to prove the checks can fail: an event
/// expected `within` a time must now not happen `for` that time and the other way round; a
/// connection expected to end must now stay up, and one expected to stay up must now end; bytes
/// expected to arrive must now arrive with their last byte changed.
/// Only steps that name statements are turned, and only plain expectations (a `one_of` chooses
/// among branches the standard allows, and has no single opposite).
enum CheckFlipping {
    /// The scenario with its checks turned, and the numbers of the steps that were.
    static func flipped(_ scenario: Scenario) -> (scenario: Scenario, flipped: Set<StepNumber>) {
        var copy = scenario
        var numbers: Set<StepNumber> = []
        for index in copy.steps.indices where !copy.steps[index].statements.isEmpty {
            guard case .expect(let expectation) = copy.steps[index].kind, let opposite = opposite(of: expectation) else { continue }
            copy.steps[index].kind = .expect(opposite)
            numbers.insert(copy.steps[index].number)
        }
        return (copy, numbers)
    }

    /// The opposite of one expectation, if it has one (an order, `after:`, has none: "not
    /// after" is not a thing the language says).
    static func opposite(of expectation: Expectation) -> Expectation? {
        guard expectation.after == nil else { return nil }
        var result = expectation
        let duration = expectation.deadline.duration
        switch expectation.subject {
        case .oneOf:
            return nil
        case .disconnected(let value, let reason):
            result.subject = .disconnected(!value, reason: reason)
        case .bytes(var hex, let exact):
            guard let last = hex.bytes.last, expectation.deadline.isWithin else { return nil }
            hex.bytes[hex.bytes.count - 1] = last ^ 0xFF
            result.subject = .bytes(hex, exact: exact)
            return result
        default:
            guard !expectation.subject.isState else { return nil }
        }
        result.deadline = expectation.deadline.isWithin ? .holdsFor(duration) : .within(duration)
        return result
    }
}
