import IoTHubCore

extension ExpectationEvaluator {
    /// `one_of`: every branch is watched at once over the same window, and the earliest
    /// observation decides: the branch whose observation comes first in the run record wins
    /// (branches observed at the same entry go by their order in the file), however the
    /// branches' waits happen to end. So a CONNACK that came before the close decides over the
    /// close.
    ///
    /// Bytes the peer sent that no `bytes` branch allows, arriving before the winning
    /// observation, are the peer's answer and fail the step: a CONNACK with another return code
    /// followed by a close is not "a close". A branch marked `not_applicable` makes the step
    /// not applicable; a last branch with only `not_applicable` is taken when no other branch
    /// holds by the deadline.
    func evaluateOneOf(_ alternatives: [Expectation.Alternative], expectation: Expectation, device: DeviceID?, cause: Cause, notBefore: Int?) async -> Evaluation {
        let branches: [(index: Int, subject: Expectation.Subject)] = alternatives.enumerated().compactMap { index, alternative in
            alternative.subject.map { (index, $0) }
        }
        // Every branch runs to its end: each decides from the record alone, so waiting for all
        // makes the outcome independent of which wait happened to finish first.
        let evaluations = await withTaskGroup(of: (Int, Evaluation).self) { group -> [Int: Evaluation] in
            for branch in branches {
                let single = Expectation(subject: branch.subject, deadline: expectation.deadline, after: expectation.after)
                group.addTask { (branch.index, await self.evaluate(single, device: device, cause: cause, notBefore: notBefore)) }
            }
            var evaluations: [Int: Evaluation] = [:]
            for await (index, evaluation) in group { evaluations[index] = evaluation }
            return evaluations
        }
        let winner = Self.earliestPassing(branches.map(\.index), evaluations)
        let refusal = Self.bytesNoBranchAllows(branches, evaluations, before: winner.flatMap { evaluations[$0]?.matchIndex })
        if let index = winner, let evaluation = evaluations[index] {
            if let refusal {
                let what = alternatives[index].subject.map { "\($0)" } ?? "another branch"
                return Evaluation(status: .failed(Failure(expected: "\(expectation) of \(cause.name)", observed: "\(refusal), which no branch allows (before \(what) was observed)")), latency: nil)
            }
            if let reason = alternatives[index].notApplicable {
                return Evaluation(status: .notApplicable(reason: reason), latency: evaluation.latency, matchIndex: evaluation.matchIndex)
            }
            return evaluation
        }
        // The fallback is for a peer that did none of these, not for one that sent other bytes.
        if refusal == nil, let fallback = alternatives.last, fallback.subject == nil, let reason = fallback.notApplicable {
            return Evaluation(status: .notApplicable(reason: reason), latency: nil)
        }
        let observed = branches.map { branch -> String in
            switch evaluations[branch.index]?.status {
            case .failed(let failure): "\(branch.subject): \(failure.observed)"
            case .errored(let message): "\(branch.subject): \(message)"
            default: "\(branch.subject): not observed"
            }
        }.joined(separator: "; ")
        return Evaluation(status: .failed(Failure(expected: "\(expectation) of \(cause.name)", observed: observed)), latency: nil)
    }

    /// The passing branch observed first in the record; a pass with no observation (a `for`
    /// window that held) counts as at the end, ties go to the branch listed first.
    static func earliestPassing(_ order: [Int], _ evaluations: [Int: Evaluation]) -> Int? {
        order.filter { evaluations[$0]?.status.isPassed == true }.min { lhs, rhs in
            let left = evaluations[lhs]?.matchIndex ?? .max
            let right = evaluations[rhs]?.matchIndex ?? .max
            return left != right ? left < right : lhs < rhs
        }
    }

    /// What the peer sent, when every `bytes` branch was ruled out by bytes that arrived before
    /// `limit` (the winning observation's place in the record, or the end when none won).
    static func bytesNoBranchAllows(_ branches: [(index: Int, subject: Expectation.Subject)], _ evaluations: [Int: Evaluation], before limit: Int?) -> String? {
        let bytesBranches = branches.filter { if case .bytes = $0.subject { true } else { false } }
        guard let first = bytesBranches.first else { return nil }
        let contradictions = bytesBranches.compactMap { evaluations[$0.index]?.contradictedAt }
        guard contradictions.count == bytesBranches.count, let last = contradictions.max(), last < (limit ?? .max),
            case .failed(let failure)? = evaluations[first.index]?.status
        else { return nil }
        return failure.observed
    }
}
