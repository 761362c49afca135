import Foundation
import IoTHubCore
import MQTTCore
import NIOCore
@testable import Scenario
import Testing

/// The MQTT 5.0 words of the scenario language: what loads into which step or matcher, and
/// every kind of bad input with its exact file:line:column.
@Suite struct MQTT5LanguageTests {
    /// Two 5.0 clients and a 3.1.1 one, on a broker; `steps` are indented by four.
    static func scenario(_ steps: String) -> String {
        """
        hub: "mqtt://127.0.0.1:1883"
        devices:
          - { id: c1, kind: client, protocol: 5 }
          - { id: c2, kind: client, protocol: "5.0" }
          - { id: old, kind: client }
        steps:
        \(steps)
        """
    }

    func load(_ yaml: String) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: yaml, path: "v5.yaml")
    }

    /// The one problem `yaml` has, as `line:column: message`.
    func problem(_ yaml: String) -> String {
        do {
            _ = try load(yaml)
            Issue.record("loaded without errors: \(yaml)")
            return ""
        } catch {
            #expect(error.diagnostics.count == 1, "\(error.diagnostics)")
            guard let first = error.diagnostics.first else { return "" }
            #expect(first.location.file == "v5.yaml")
            return "\(first.location.line):\(first.location.column): \(first.message)"
        }
    }

    @Test("the v5 vocabulary fixture loads into steps with their properties, options and matchers")
    func fixture() throws {
        let path = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("Tests/ScenarioTests/Fixtures/vocabulary/mqtt5.yaml").path
        let scenario = try ScenarioLoader.load(path: path)
        let devices = try #require(scenario.targets.first?.devices)
        #expect(devices.map(\.protocolVersion) == [.v5, .v5, .v311])
        guard case .client(let client) = devices[0].settings else {
            Issue.record("c1 is not a client")
            return
        }
        #expect(Array(client.will?.properties ?? .none) == [.willDelayInterval(5), .contentType("text/plain")])
        guard case .connect(true, 60, let properties) = scenario.steps[0].kind else {
            Issue.record("step 1: \(scenario.steps[0].kind)")
            return
        }
        #expect(Array(properties) == [.sessionExpiryInterval(300), .receiveMaximum(5), .userProperty(name: "k", value: "v")])
        guard case .connect(_, _, let repeated) = scenario.steps[1].kind else { return }
        #expect(repeated.userProperties.map(\.value) == ["a", "b"])
        guard let connack = matcher(scenario.steps[2]) else { return }
        #expect(connack.type == .connack && connack.flow == .toDevice && connack.reason == .success && connack.sessionPresent == false)
        #expect(connack.properties == PropertyMatch([.receiveMaximum(10)]))
        guard case .subscribe(_, .atLeastOnce, let options) = scenario.steps[3].kind else { return }
        #expect(options.noLocal && options.retainAsPublished && options.retainHandling == .sendOnSubscribe)
        #expect(options.properties.subscriptionIdentifiers == [7])
        guard let suback = matcher(scenario.steps[4]) else { return }
        #expect(suback.reasons == [.grantedQoS1])
        guard case .publish(let publish) = scenario.steps[5].kind else { return }
        #expect(publish.properties.isEmpty)
        #expect(publish.mqttProperties.first(.correlationData) == .correlationData(ByteBuffer(bytes: [1, 2])))
        #expect(publish.mqttProperties.first(.responseTopic) == .responseTopic("resp/c2"))
        guard let puback = matcher(scenario.steps[6]) else { return }
        #expect(puback.reason == .noMatchingSubscribers)
        guard let delivered = matcher(scenario.steps[7]) else { return }
        #expect(delivered.type == .publish && delivered.flow == .toDevice && delivered.qos == .atLeastOnce)
        #expect(delivered.properties == PropertyMatch([.subscriptionIdentifier(7), .correlationData(ByteBuffer(bytes: [1, 2]))]))
        guard let disconnect = matcher(scenario.steps[9]) else { return }
        #expect(disconnect.type == .disconnect && disconnect.reason == .sessionTakenOver)
        guard case .disconnect(let spec) = scenario.finallySteps.first?.kind else { return }
        #expect(spec.reason == .disconnectWithWillMessage && Array(spec.properties) == [.sessionExpiryInterval(0), .reasonString("bye")])
    }

    /// The packet matcher of an expectation step.
    func matcher(_ step: Step) -> PacketMatcher? {
        if case .expect(let expectation) = step.kind, case .packet(let matcher) = expectation.subject { return matcher }
        Issue.record("step \(step.number) is not a packet expectation")
        return nil
    }

    @Test("reason codes by name, by number and in hex; 0x00 by the name its packet gives it")
    func reasonCodes() throws {
        let scenario = try load(Self.scenario("""
              - { device: c1, connect: {} }
              - { device: c1, expect: { connack: { reason: 135 }, within: 1s } }
              - { device: c1, expect: { disconnect: { reason: 0x8E }, within: 1s } }
              - { device: c1, expect: { disconnect: normal_disconnection, within: 1s } }
              - { device: c1, expect: { packet: SUBACK, reasons: [granted_qos_0, 0x80], within: 1s } }
              - { device: c1, disconnect: { reason: 4 } }
            """))
        let reasons = scenario.steps.dropFirst().prefix(3).map { step -> MQTTReasonCode? in
            if case .expect(let expectation) = step.kind, case .packet(let matcher) = expectation.subject { return matcher.reason }
            return nil
        }
        #expect(reasons == [.notAuthorized, .sessionTakenOver, .normalDisconnection])
        if case .expect(let expectation) = scenario.steps[4].kind, case .packet(let matcher) = expectation.subject {
            #expect(matcher.reasons == [.grantedQoS0, .unspecifiedError])
        }
        #expect(scenario.steps[5].kind == .disconnect(DisconnectSpec(reason: .disconnectWithWillMessage)))
    }

    @Test("on a 3.1.1 device, publish properties stay the IoT Hub property bag")
    func publishPropertiesBy311() throws {
        let scenario = try load(Self.scenario("""
              - { device: old, connect: {} }
              - { device: old, publish: { payload: x, properties: { a: b } } }
            """))
        guard case .publish(let publish) = scenario.steps[1].kind else { return }
        #expect(publish.properties.encoded == "a=b" && publish.mqttProperties.isEmpty)
    }

    @Test(
        "bad MQTT 5.0 input: file:line:column and why",
        arguments: [
            // An unknown property name, with a did-you-mean.
            ("  - { device: c1, connect: { properties: { sesion_expiry_interval: 10 } } }",
             "7:44: unknown MQTT 5.0 property 'sesion_expiry_interval' (did you mean 'session_expiry_interval'?); CONNECT properties are session_expiry_interval, receive_maximum, maximum_packet_size, topic_alias_maximum, request_response_information, request_problem_information, user, authentication_method, authentication_data"),
            // A property the standard does not allow in that packet.
            ("  - { device: c1, subscribe: { topic: a, properties: { topic_alias: 1 } } }",
             "7:56: property 'topic_alias' is not allowed in SUBSCRIBE properties (MQTT 5.0 section 3.8.2.1 lists subscription_identifier, user)"),
            ("  - { device: c1, expect: { connack: { properties: { topic_alias: 1 } }, within: 1s } }",
             "7:54: property 'topic_alias' is not allowed in CONNACK properties (MQTT 5.0 section 3.2.2.3 lists session_expiry_interval, receive_maximum, maximum_qos, retain_available, maximum_packet_size, assigned_client_identifier, topic_alias_maximum, reason_string, user, wildcard_subscription_available, subscription_identifier_available, shared_subscription_available, server_keep_alive, response_information, server_reference, authentication_method, authentication_data)"),
            // What a client must not send.
            ("  - { device: c1, publish: { topic: a, payload: x, properties: { subscription_identifier: 3 } } }",
             "7:66: a client must not send subscription_identifier in PUBLISH [MQTT-3.3.4-6]; give it on the subscribe step, and expect it on the messages the broker forwards"),
            // Values out of their type's range.
            ("  - { device: c1, connect: { properties: { receive_maximum: 0 } } }",
             "7:61: receive_maximum must be a whole number from 1 to 65535, not '0'"),
            ("  - { device: c1, subscribe: { topic: a, properties: { subscription_identifier: 268435456 } } }",
             "7:81: subscription_identifier must be a whole number from 1 to 268435455, not '268435456'"),
            ("  - { device: c1, publish: { topic: a, payload: x, properties: { payload_format_indicator: 2 } } }",
             "7:92: payload_format_indicator must be a whole number from 0 to 1, not '2'"),
            ("  - { device: c1, publish: { topic: a, payload: x, properties: { correlation_data: { hex: \"0g\" } } } }",
             "7:93: correlation_data hex: 'g' is not a hex digit; write bytes as pairs of 0-9 a-f, for example \"10 0c 00 04\""),
            ("  - { device: c1, publish: { topic: a, payload: x, properties: { response_topic: \"r/#\" } } }",
             "7:82: response_topic must be a topic name: topic name 'r/#' contains a wildcard [MQTT-4.7.1-1]"),
            // Reason codes: out of range, undefined, unknown, not of that packet.
            ("  - { device: c1, expect: { disconnect: { reason: 256 }, within: 1s } }",
             "7:51: reason 256 is out of range: a reason code is one byte, 0 to 255 (0x00 to 0xFF)"),
            ("  - { device: c1, expect: { packet: PUBACK, reason: 0x05, within: 1s } }",
             "7:53: reason 0x05 is not an MQTT 5.0 reason code (Table 2-6); PUBACK takes success, no_matching_subscribers, unspecified_error, implementation_specific_error, not_authorized, topic_name_invalid, packet_identifier_in_use, quota_exceeded, payload_format_invalid"),
            ("  - { device: c1, expect: { connack: { reason: not_authorised }, within: 1s } }",
             "7:48: unknown reason code 'not_authorised' (did you mean 'not_authorized'?); CONNACK takes success, unspecified_error, malformed_packet, protocol_error, implementation_specific_error, unsupported_protocol_version, client_identifier_not_valid, bad_user_name_or_password, not_authorized, server_unavailable, server_busy, banned, bad_authentication_method, topic_name_invalid, packet_too_large, quota_exceeded, payload_format_invalid, retain_not_supported, qos_not_supported, use_another_server, server_moved, connection_rate_exceeded or a number"),
            ("  - { device: c1, disconnect: { reason: granted_qos_1 } }",
             "7:41: 0x01 (granted_qos_1) is not a reason code of DISCONNECT; it takes normal_disconnection, disconnect_with_will_message, unspecified_error, malformed_packet, protocol_error, implementation_specific_error, not_authorized, server_busy, server_shutting_down, bad_authentication_method, keep_alive_timeout, session_taken_over, topic_filter_invalid, topic_name_invalid, receive_maximum_exceeded, topic_alias_invalid, packet_too_large, message_rate_too_high, quota_exceeded, administrative_action, payload_format_invalid, retain_not_supported, qos_not_supported, use_another_server, server_moved, shared_subscriptions_not_supported, connection_rate_exceeded, maximum_connect_time, subscription_identifiers_not_supported, wildcard_subscriptions_not_supported"),
            ("  - { device: c1, connect: { properties: { authentication_data: abc } } }",
             "7:42: authentication_data needs authentication_method: a CONNECT with data and no method is a Protocol Error (MQTT 5.0 section 3.1.2.11.10); send it with send_bytes to test a broker"),
            ("  - { device: c1, expect: { packet: SUBACK, reasons: [normal_disconnection], within: 1s } }",
             "7:55: 'normal_disconnection' is not what SUBACK calls this code; SUBACK names it granted_qos_0 (0x00)"),
            ("  - { device: c1, expect: { packet: PUBACK, reason: granted_qos_0, within: 1s } }",
             "7:53: 'granted_qos_0' is not what PUBACK calls this code; PUBACK names it success (0x00)"),
            ("  - { device: c1, expect: { packet: PUBACK, reasons: [success], within: 1s } }",
             "7:45: 'reasons' (one per topic filter) is for SUBACK and UNSUBACK; PUBACK takes 'reason'"),
            ("  - { device: c1, expect: { packet: PINGRESP, reason: success, within: 1s } }",
             "7:47: PINGRESP carries no reason code"),
            // MQTT 5.0 keys on a 3.1.1 device.
            ("  - { device: old, connect: { clean_start: true } }",
             "7:31: 'clean_start' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, subscribe: { topic: a, no_local: true } }",
             "7:43: 'no_local' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, unsubscribe: { topic: a, properties: { user: { k: v } } } }",
             "7:45: 'properties' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, disconnect: { reason: 0x04 } }",
             "7:34: 'reason' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, expect: { connack: { reason: success }, within: 1s } }",
             "7:41: 'reason' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, expect: { disconnect: {}, within: 1s } }",
             "7:30: 'disconnect' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            ("  - { device: old, expect: { publish: { properties: { user: { k: v } } }, within: 1s } }",
             "7:41: 'properties' is MQTT 5.0, and device 'old' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"),
            // Both spellings of one flag.
            ("  - { device: c1, connect: { clean_session: true, clean_start: false } }",
             "7:51: give 'clean_start' or 'clean_session' (the same flag), not both"),
        ]
    )
    func badInput(step: String, expected: String) {
        #expect(problem(Self.scenario(step)) == expected)
    }

    @Test("a raw client's expectations may be MQTT 5.0: its own CONNECT says which version it speaks")
    func rawClient() throws {
        _ = try load(Self.scenario("""
              - { device: old, send_bytes: "10 10 00 04 4d 51 54 54 05 02 00 3c 00 00 03 72 61 77" }
              - { device: old, expect: { connack: { reason: success }, within: 1s } }
            """))
    }

    @Test(
        "protocol 5 on a device that cannot speak it is refused with the reason",
        arguments: [
            ("{ id: d, protocol: 5 }", "3:24: protocol 5: umqtt.simple speaks MQTT 3.1.1 only; only a device of kind client speaks MQTT 5.0"),
            ("{ id: d, profile: umqtt-robust, protocol: 5 }", "3:47: protocol 5: umqtt.robust speaks MQTT 3.1.1 only; only a device of kind client speaks MQTT 5.0"),
            ("{ id: d, profile: sdk, protocol: 5 }", "3:38: protocol 5: the Azure IoT device SDK speaks MQTT 3.1.1 to IoT Hub; only a device of kind client speaks MQTT 5.0"),
            ("{ id: d, kind: process, command: fw, protocol: \"5.0\" }", "3:52: protocol 5: firmware runs its own MQTT client, which the harness cannot switch to MQTT 5.0; only a device of kind client speaks MQTT 5.0"),
            ("{ id: d, kind: client, protocol: 6 }", "3:38: protocol must be 5 (or \"5.0\") for MQTT 5.0, or 4 (or \"3.1.1\") for MQTT 3.1.1, not '6'"),
            ("{ id: d, kind: client, will: { topic: w, properties: { will_delay_interval: 5 } } }", "3:46: will 'properties' are MQTT 5.0, and device 'd' speaks MQTT 3.1.1; give the device protocol: 5"),
            ("{ id: d, kind: client, protocol: 5, will: { topic: w, properties: { topic_alias: 5 } } }", "3:73: property 'topic_alias' is not allowed in CONNECT will properties (MQTT 5.0 section 3.1.3.2 lists will_delay_interval, payload_format_indicator, message_expiry_interval, content_type, response_topic, correlation_data, user)"),
        ]
    )
    func deviceProtocol(device: String, expected: String) {
        let yaml = """
            hub: "mqtt://127.0.0.1:1883"
            devices:
              - \(device)
            steps:
              - connect: {}
            """
        #expect(problem(yaml) == expected)
    }

    @Test("a fleet speaks MQTT 5.0 when its template says protocol: 5; otherwise 5.0 keys on its steps are errors")
    func fleets() throws {
        let fleet5 = """
            hub: "mqtt://127.0.0.1:1883"
            fleet: { id: "s-${index}", count: 2, kind: client, protocol: 5 }
            steps:
              - connect: { properties: { receive_maximum: 3 } }
            """
        let scenario = try load(fleet5)
        guard case .connect(_, _, let properties) = scenario.steps.first?.kind else { return }
        #expect(Array(properties) == [.receiveMaximum(3)])
        let fleet311 = fleet5.replacingOccurrences(of: ", protocol: 5", with: "")
        #expect(problem(fleet311) == "4:16: 'properties' is MQTT 5.0, and fleet 'fleet' speaks MQTT 3.1.1; give the fleet protocol: 5 (kind client)")
    }

    @Test("an action leaves its refusal to the device's next step only when that step judges the answer's reason")
    func judgedAnswers() throws {
        let scenario = try load(Self.scenario("""
              - { device: c1, connect: {} }
              - { device: c2, connect: {} }
              - { device: c1, expect: { connack: { reason: not_authorized }, within: 1s } }
              - { device: c2, subscribe: { topic: a, qos: 1 } }
              - { device: c2, expect: { publish: { topic: a }, within: 1s } }
              - { device: c1, connect: {} }
              - { device: c1, subscribe: { topic: a, qos: 1 } }
              - { device: c1, expect: { packet: SUBACK, reasons: [0x80], within: 1s } }
              - { device: c1, publish: { topic: a, payload: x, qos: 1 } }
              - { device: c1, expect: { one_of: [{ packet: PUBACK, reason: quota_exceeded }, { packet: PUBACK, reason: success }], within: 1s } }
              - { device: c2, publish: { topic: a, payload: x, qos: 1 } }
              - { device: c2, expect: { packet: PUBACK, within: 1s } }
            """))
        #expect(scenario.steps.map(\.answerJudgedLater) == [true, false, false, false, false, false, true, false, true, false, false, false])
    }
}
