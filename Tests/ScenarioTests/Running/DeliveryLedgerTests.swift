import IoTHubCore
import MQTTCore
import NIOCore
@testable import Scenario
import Testing

/// `delivered: all` counts the C2D messages the cloud side accepted against the PUBLISH packets
/// that reached the device with their message id.
@Suite struct DeliveryLedgerTests {
    let device = try! DeviceID("esp8266")

    func entry(_ time: UInt64, _ event: RunEvent) -> RunRecord.Entry { RunRecord.Entry(time: time, event: event) }

    func queued(_ id: String, at time: UInt64) -> RunRecord.Entry {
        entry(time, .cloud(.messageQueued(device, messageID: id, queueDepth: 1)))
    }

    func delivery(_ id: String, at time: UInt64, dup: Bool = false, vantage: Vantage = .device) throws -> RunRecord.Entry {
        let topic = try TopicName(CloudToDeviceMessage(payload: ByteBuffer(string: "on")).deviceboundTopic(to: device, messageID: id))
        let publish = PublishPacket(topic: topic, payload: ByteBuffer(string: "on"), qos: .atLeastOnce, packetID: 1, dup: dup)
        let direction: PacketDirection = vantage == .device ? .inbound : .outbound
        let record = PacketRecord(timestamp: time, connection: 1, direction: direction, packet: .publish(publish), size: 40)
        return entry(time, .packet(PacketObservation(record: record, vantage: vantage, device: device)))
    }

    @Test("every accepted message that reached the device once: delivered; one missing: not yet, and named")
    func deliveredAndMissing() throws {
        let history = [queued("m1", at: 1), queued("m2", at: 2)]
        let ledger = DeliveryLedger(device: device, vantage: .device, sentIn: history)
        ledger.apply(try delivery("m1", at: 3))
        #expect(ledger.verdict(duplicatesAllowed: false) == nil)
        #expect(ledger.describe() == "1 of 2 messages reached the device; missing: m2")
        ledger.apply(try delivery("m2", at: 4))
        #expect(ledger.verdict(duplicatesAllowed: false) == true)
    }

    @Test("a message that reached the device twice fails 'exactly once', and passes when duplicates are allowed")
    func duplicates() throws {
        let ledger = DeliveryLedger(device: device, vantage: .device, sentIn: [queued("m1", at: 1)])
        ledger.apply(try delivery("m1", at: 2))
        ledger.apply(try delivery("m1", at: 3, dup: true))
        #expect(ledger.verdict(duplicatesAllowed: false) == false)
        #expect(ledger.verdict(duplicatesAllowed: true) == true)
        #expect(ledger.describe() == "1 of 1 message reached the device; more than once: m1 (2x)")
    }

    @Test("only packets at the device's own vantage count, and only those of accepted messages")
    func vantageAndAcceptance() throws {
        let ledger = DeliveryLedger(device: device, vantage: .device, sentIn: [queued("m1", at: 1), entry(2, .cloud(.messageAccepted(device, messageID: "m2")))])
        ledger.apply(try delivery("m1", at: 3, vantage: .hub))
        ledger.apply(try delivery("m2", at: 4))
        ledger.apply(try delivery("other", at: 5))
        #expect(ledger.describe() == "1 of 2 messages reached the device; missing: m1")
    }
}
