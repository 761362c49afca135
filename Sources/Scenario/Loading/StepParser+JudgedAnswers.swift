import MQTTCore

/// Which actions leave an MQTT 5.0 refusal to the expectation that follows them.
extension StepParser {
    /// Sets ``Step/answerJudgedLater`` on each action whose device's next step (in the same
    /// list) expects the action's answer with a reason code (or, for CONNACK, a 3.1.1 return
    /// code: `connack: not_authorized`): a CONNACK after connect, a SUBACK
    /// after subscribe, an UNSUBACK after unsubscribe, a PUBACK or PUBREC after publish.
    static func markJudgedAnswers(_ steps: inout [Step]) {
        for index in steps.indices {
            switch steps[index].kind {
            case .repeatBlock(var block):
                markJudgedAnswers(&block.steps)
                steps[index].kind = .repeatBlock(block)
                continue
            case .chaos(var block):
                markJudgedAnswers(&block.steps)
                steps[index].kind = .chaos(block)
                continue
            default:
                break
            }
            let answers = answerTypes(of: steps[index].kind)
            guard !answers.isEmpty, let device = steps[index].device else { continue }
            let next = steps[(index + 1)...].first { $0.device == device }
            guard case .expect(let expectation)? = next?.kind else { continue }
            steps[index].answerJudgedLater = expectation.subject.leaves.contains { subject in
                switch subject {
                case .packet(let matcher): answers.contains(matcher.type) && (matcher.reason != nil || matcher.reasons != nil)
                // `connack: not_authorized`, the 3.1.1 form, judges the CONNACK's code too.
                case .connack: answers.contains(.connack)
                default: false
                }
            }
        }
    }

    /// The packets that answer an action.
    private static func answerTypes(of kind: Step.Kind) -> [MQTTPacketType] {
        switch kind {
        case .connect: [.connack]
        case .subscribe: [.suback]
        case .unsubscribe: [.unsuback]
        case .publish: [.puback, .pubrec]
        default: []
        }
    }
}
