import Devices
import IoTHubCore
import MQTTCore
import NIOCore
@testable import Scenario
import Testing

/// The invariants of chaos blocks, decided on hand-made records.
@Suite struct ChaosInvariantsTests {
    let device = try! DeviceID("esp8266")
    static let second: UInt64 = 1_000_000_000

    func drop(at time: UInt64) -> RunRecord.Entry {
        RunRecord.Entry(time: time, event: .cloud(.disconnected(device, connection: 1, kind: .connectionLost, detail: "connection lost")))
    }

    func back(at time: UInt64) -> RunRecord.Entry {
        RunRecord.Entry(time: time, event: .cloud(.connected(device, connection: 2, cleanSession: false, sessionPresent: true, keepAlive: 60)))
    }

    func delivery(_ payload: String, id: String, at time: UInt64) throws -> RunRecord.Entry {
        let topic = try TopicName(CloudToDeviceMessage(payload: ByteBuffer(string: payload)).deviceboundTopic(to: device, messageID: id))
        let record = PacketRecord(timestamp: time, connection: 1, direction: .inbound, packet: .publish(PublishPacket(topic: topic, payload: ByteBuffer(string: payload), qos: .atLeastOnce, packetID: 1)), size: 40)
        return RunRecord.Entry(time: time, event: .packet(PacketObservation(record: record, vantage: .device, device: device)))
    }

    @Test("a drop counts once its allowed time has passed: back in time passes, late or never fails with when")
    func reconnects() {
        let rule = [ChaosInvariant.reconnectedWithin(.seconds(2))]
        let inTime = [drop(at: 1 * Self.second), back(at: 2 * Self.second)]
        #expect(ChaosInvariants.reconnectProblem(rule, entries: inTime, from: 0, now: 10 * Self.second, devices: [device]) == nil)
        let late = [drop(at: 1 * Self.second), back(at: 4 * Self.second)]
        #expect(ChaosInvariants.reconnectProblem(rule, entries: late, from: 0, now: 10 * Self.second, devices: [device]) == "esp8266 dropped at +1000.0ms into the chaos and reconnected after 3000.0ms, not within 2s")
        let never = [drop(at: 1 * Self.second)]
        // Not yet decided while the allowed time runs.
        #expect(ChaosInvariants.reconnectProblem(rule, entries: never, from: 0, now: 2 * Self.second, devices: [device]) == nil)
        #expect(ChaosInvariants.reconnectProblem(rule, entries: never, from: 0, now: 4 * Self.second, devices: [device])?.hasSuffix("reconnected not at all, not within 2s") == true)
        // Drops before the chaos began are not its business.
        #expect(ChaosInvariants.reconnectProblem(rule, entries: never, from: 2 * Self.second, now: 9 * Self.second, devices: [device]) == nil)
    }

    @Test("the LED must end as the last delivered message asked: on for 'on', off for anything else")
    func ledFollowsTheLastMessage() throws {
        let onThenOff = [try delivery("on", id: "m1", at: 1), RunRecord.Entry(time: 2, event: .device(device, .led(isOn: true, changed: true))), try delivery("off", id: "m2", at: 3)]
        #expect(ChaosInvariants.ledProblem(device, entries: onThenOff) == #"esp8266: the last message delivered was "off" but the LED is on"#)
        let settled = onThenOff + [RunRecord.Entry(time: 4, event: .device(device, .led(isOn: false, changed: true)))]
        #expect(ChaosInvariants.ledProblem(device, entries: settled) == nil)
        #expect(ChaosInvariants.ledProblem(device, entries: []) == nil)
    }
}
