import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOCore
@testable import Scenario
import Testing

/// MQTT 5.0 expectations evaluated over a hand-made record of decoded packets: reason codes,
/// properties as a subset, and failures that say what arrived.
@Suite struct MQTT5ExpectationTests {
    let device: DeviceID

    init() throws {
        device = try DeviceID("c1")
    }

    /// A record of packets the device received (its own codec's vantage), at 100, 200, ...
    func record(_ packets: [MQTTPacket]) -> RunRecord {
        let record = RunRecord(clock: ManualMonotonicClock(start: 10_000_000_000))
        record.append(.step(StepNumber(1), iteration: nil), at: 50)
        for (offset, packet) in packets.enumerated() {
            let time = UInt64(100 * (offset + 1))
            let packetRecord = PacketRecord(timestamp: time, connection: 1, direction: .inbound, packet: packet, size: 10)
            record.append(.packet(PacketObservation(record: packetRecord, vantage: .device, device: device)), at: time)
        }
        return record
    }

    /// The status of `yaml`'s expectation (`expect: { ... }` of device c1) over `packets`.
    func evaluate(_ expect: String, over packets: [MQTTPacket]) async throws -> StepStatus {
        let yaml = """
            hub: "mqtt://127.0.0.1:1883"
            devices: [{ id: c1, kind: client, protocol: 5 }]
            steps:
              - expect: \(expect)
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "v5.yaml")
        guard case .expect(let expectation) = scenario.steps.first?.kind else {
            Issue.record("not an expectation")
            return .passed
        }
        let evaluator = ExpectationEvaluator(record: record(packets))
        return await evaluator.evaluate(expectation, device: device, cause: Cause(step: StepNumber(1), time: 50, index: 0)).status
    }

    func observed(_ status: StepStatus) -> String {
        if case .failed(let failure) = status { return failure.observed }
        Issue.record("expected a failure, got \(status)")
        return ""
    }

    func properties(_ list: [MQTTProperty]) throws -> MQTTProperties {
        try MQTTProperties(list)
    }

    @Test("a CONNACK with another reason fails saying what arrived and what was expected")
    func connackReason() async throws {
        let refused = MQTTPacket.connack(ConnAckPacket(reasonCode: .badUserNameOrPassword))
        let status = try await evaluate("{ connack: { reason: not_authorized }, within: 1s }", over: [refused])
        #expect(observed(status) == "CONNACK arrived with reason bad_user_name_or_password (0x86), expected not_authorized (0x87) after 0.000ms")
        let right = try await evaluate("{ connack: { reason: 0x86 }, within: 1s }", over: [refused])
        #expect(right == .passed)
    }

    @Test("CONNACK properties and session present are a subset match")
    func connackProperties() async throws {
        let connack = MQTTPacket.connack(ConnAckPacket(sessionPresent: true, reasonCode: .success, properties: try properties([
            .receiveMaximum(10), .topicAliasMaximum(5), .userProperty(name: "k", value: "v"), .userProperty(name: "k", value: "w"),
        ])))
        #expect(try await evaluate("{ connack: { reason: success, session_present: true, properties: { receive_maximum: 10, user: { k: w } } }, within: 1s }", over: [connack]) == .passed)
        let missing = try await evaluate("{ connack: { properties: { receive_maximum: 20, maximum_qos: 1 } }, within: 1s }", over: [connack])
        #expect(observed(missing) == "CONNACK arrived without receive_maximum=20 (the packet has receive_maximum=10), maximum_qos=1 (absent) after 0.000ms")
        let session = try await evaluate("{ connack: { session_present: false }, within: 1s }", over: [connack])
        #expect(observed(session) == "CONNACK arrived with session_present=true, expected false after 0.000ms")
    }

    @Test("a broker's DISCONNECT by reason number; one with another reason contradicts, and a reason string is escaped")
    func serverDisconnect() async throws {
        let taken = MQTTPacket.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver, properties: try properties([.reasonString("bye\n\u{1B}[2J")])))
        #expect(try await evaluate("{ disconnect: { reason: 0x8E }, within: 1s }", over: [taken]) == .passed)
        let wrong = try await evaluate("{ disconnect: { reason: server_shutting_down, properties: { reason_string: bye } }, within: 1s }", over: [taken])
        #expect(observed(wrong) == #"DISCONNECT arrived with reason session_taken_over (0x8E), expected server_shutting_down (0x8B); without reason_string="bye" (the packet has reason_string="bye\u{a}\u{1b}[2J") after 0.000ms"#)
        // No DISCONNECT at all: the failure says none came.
        let none = try await evaluate("{ disconnect: {}, within: 1s }", over: [])
        #expect(observed(none).contains("no DISCONNECT for this device"))
    }

    @Test("a PUBLISH to the device matches by user properties, subscription identifier and correlation data; others are passed over")
    func publishProperties() async throws {
        func publish(_ list: [MQTTProperty]) throws -> MQTTPacket {
            .publish(PublishPacket(topic: try TopicName("resp/c2"), payload: ByteBuffer(string: "42"), qos: .atMostOnce, properties: try properties(list)))
        }
        let other = try publish([.userProperty(name: "k", value: "other"), .subscriptionIdentifier(7)])
        let wanted = try publish([.subscriptionIdentifier(3), .subscriptionIdentifier(7), .correlationData(ByteBuffer(bytes: [1, 2])), .userProperty(name: "k", value: "v")])
        let expect = #"{ publish: { topic: "resp/#", payload: "42", properties: { user: { k: v }, subscription_identifier: 7, correlation_data: { hex: "01 02" } } }, within: 1s }"#
        #expect(try await evaluate(expect, over: [other, wanted]) == .passed)
        let failed = observed(try await evaluate(expect, over: [other]))
        #expect(failed.contains("no PUBLISH") == false)
        #expect(failed.contains("user_property=k:other"), "the failure shows what arrived: \(failed)")
        #expect(failed.contains(#"(without user "k"="v" (the packet has user "k"="other"), correlation_data=hex 01 02 (absent))"#), "and why it does not match: \(failed)")
        // Correlation data as text is its UTF-8 bytes.
        let text = try publish([.correlationData(ByteBuffer(string: "req-1"))])
        #expect(try await evaluate("{ publish: { properties: { correlation_data: req-1 } }, within: 1s }", over: [text]) == .passed)
    }

    @Test("SUBACK reasons in order, and PUBACK reason, on packet matchers")
    func acknowledgements() async throws {
        let suback = MQTTPacket.suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1, .notAuthorized]))
        #expect(try await evaluate("{ packet: SUBACK, reasons: [granted_qos_1, 0x87], within: 1s }", over: [suback]) == .passed)
        let reordered = try await evaluate("{ packet: SUBACK, reasons: [not_authorized, granted_qos_1], within: 1s }", over: [suback])
        #expect(observed(reordered).contains("SUBACK to_device"))
        let puback = MQTTPacket.puback(PublishAckPacket(packetID: 1, reasonCode: .noMatchingSubscribers))
        #expect(try await evaluate("{ packet: PUBACK, reason: no_matching_subscribers, within: 1s }", over: [puback]) == .passed)
        #expect(try await evaluate("{ packet: PUBACK, reason: success, for: 1s }", over: [puback]) == .passed)
        #expect(try await evaluate("{ packet: PUBACK, reason: no_matching_subscribers, for: 1s }", over: [puback]) != .passed)
    }
}
