import IoTHubCore

extension ExpectationEvaluator {
    /// `one_of`: every branch is watched at once over the same window; the first observed
    /// decides. A branch marked `not_applicable` makes the step not applicable; a last branch
    /// with only `not_applicable` is taken when no other branch holds by the deadline.
    func evaluateOneOf(_ alternatives: [Expectation.Alternative], expectation: Expectation, device: DeviceID?, cause: Cause, notBefore: Int?) async -> Evaluation {
        let branches: [(index: Int, subject: Expectation.Subject)] = alternatives.enumerated().compactMap { index, alternative in
            alternative.subject.map { (index, $0) }
        }
        let outcome = await withTaskGroup(of: (Int, Evaluation).self) { group -> (winner: (Int, Evaluation)?, failures: [Int: Evaluation]) in
            for branch in branches {
                let single = Expectation(subject: branch.subject, deadline: expectation.deadline, after: expectation.after)
                group.addTask { (branch.index, await self.evaluate(single, device: device, cause: cause, notBefore: notBefore)) }
            }
            var failures: [Int: Evaluation] = [:]
            for await (index, evaluation) in group {
                if evaluation.status.isPassed {
                    group.cancelAll()
                    return ((index, evaluation), failures)
                }
                failures[index] = evaluation
            }
            return (nil, failures)
        }
        if let (index, evaluation) = outcome.winner {
            if let reason = alternatives[index].notApplicable {
                return Evaluation(status: .notApplicable(reason: reason), latency: evaluation.latency, matchIndex: evaluation.matchIndex)
            }
            return evaluation
        }
        if let fallback = alternatives.last, fallback.subject == nil, let reason = fallback.notApplicable {
            return Evaluation(status: .notApplicable(reason: reason), latency: nil)
        }
        let observed = branches.map { branch -> String in
            switch outcome.failures[branch.index]?.status {
            case .failed(let failure): "\(branch.subject): \(failure.observed)"
            case .errored(let message): "\(branch.subject): \(message)"
            default: "\(branch.subject): not observed"
            }
        }.joined(separator: "; ")
        return Evaluation(status: .failed(Failure(expected: "\(expectation) of \(cause.name)", observed: observed)), latency: nil)
    }
}
