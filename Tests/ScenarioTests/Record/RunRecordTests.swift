import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOCore
import Synchronization
@testable import Scenario
import Testing

/// The run's record keeps each packet once, at its device's vantage, attributed as it is
/// appended.
@Suite struct RunRecordTests {
    let esp = Self.deviceIDLiteral("esp8266")
    let board = Self.deviceIDLiteral("board")

    static func deviceIDLiteral(_ text: String) -> DeviceID {
        do { return try DeviceID(text) } catch { preconditionFailure("\(error)") }
    }

    func packet(_ packet: MQTTPacket, _ direction: PacketDirection, connection: UInt64, at time: UInt64) -> PacketRecord {
        PacketRecord(timestamp: time, connection: connection, direction: direction, packet: packet, size: 2, bytes: ByteBuffer())
    }

    func connect(_ clientID: String) -> MQTTPacket {
        .connect(ConnectPacket(clientID: clientID, keepAlive: 60))
    }

    var packets: (RunRecord) -> [PacketObservation] {
        { record in record.entries().compactMap { if case .packet(let observation) = $0.event { observation } else { nil } } }
    }

    @Test("a device with its own codec: its packets are kept from there, the hub's copies are not")
    func deviceVantage() {
        let record = RunRecord(clock: ManualMonotonicClock())
        record.watch(esp, at: .device)
        record.appendPacket(packet(connect("esp8266"), .outbound, connection: 7, at: 1), seenAt: .device, device: esp)
        record.appendPacket(packet(connect("esp8266"), .inbound, connection: 3, at: 2), seenAt: .hub)
        record.appendPacket(packet(.connack(ConnAckPacket(returnCode: .accepted)), .outbound, connection: 3, at: 3), seenAt: .hub)
        let kept = packets(record)
        #expect(kept.count == 1)
        #expect(kept.first?.vantage == .device)
        #expect(kept.first?.device == esp)
        #expect(kept.first?.flow == .toHub)
    }

    @Test("firmware watched at the hub: the hub's packets are attributed through the CONNECT's client id, its own lines are not kept")
    func hubVantage() {
        let record = RunRecord(clock: ManualMonotonicClock())
        record.watch(board, at: .hub)
        record.appendPacket(packet(connect("board"), .inbound, connection: 4, at: 1), seenAt: .hub)
        record.appendPacket(packet(.connack(ConnAckPacket(returnCode: .accepted)), .outbound, connection: 4, at: 2), seenAt: .hub)
        record.appendPacket(packet(connect("board"), .outbound, connection: 0, at: 3), seenAt: .device, device: board)
        let kept = packets(record)
        #expect(kept.map(\.device) == [board, board])
        #expect(kept.map(\.vantage) == [.hub, .hub])
        #expect(kept.map(\.flow) == [.toHub, .toDevice])
    }

    @Test("the hub's connection events attribute a connection whose CONNECT named no device")
    func cloudEventsAttribute() {
        let record = RunRecord(clock: ManualMonotonicClock())
        record.watch(board, at: .hub)
        record.append(.cloud(.connected(board, connection: 9, cleanSession: true, sessionPresent: false, keepAlive: 0)), at: 1)
        record.appendPacket(packet(.pingreq, .inbound, connection: 9, at: 2), seenAt: .hub)
        #expect(packets(record).map(\.device) == [board])
    }

    @Test("a hub connection no device owns is kept only when no device is watched at its own codec")
    func unknownConnections() {
        let alone = RunRecord(clock: ManualMonotonicClock())
        alone.watch(board, at: .hub)
        alone.appendPacket(packet(connect("intruder"), .inbound, connection: 5, at: 1), seenAt: .hub)
        #expect(packets(alone).count == 1)
        #expect(packets(alone).first?.device == nil)
        let mixed = RunRecord(clock: ManualMonotonicClock())
        mixed.watch(board, at: .hub)
        mixed.watch(esp, at: .device)
        mixed.appendPacket(packet(connect("intruder"), .inbound, connection: 5, at: 1), seenAt: .hub)
        #expect(packets(mixed).isEmpty)
    }

    @Test("an expectation waiting on the record wakes on the entry that satisfies it; the observer sees every entry")
    func waiting() async {
        let seen = LockedCount()
        let record = RunRecord(clock: ManualMonotonicClock(start: 0), observer: { _ in seen.increment() })
        record.append(.step(StepNumber(1), iteration: nil), at: 1)
        async let match = record.firstMatch(from: 0, until: .max) { if case .device(_, .led(true, _)) = $0.event { true } else { false } }
        try? await Task.sleep(for: .milliseconds(20))
        record.append(.device(esp, .led(isOn: true, changed: true)), at: 2)
        let found = await match
        #expect(found?.index == 1)
        #expect(seen.value == 2)
    }
}

final class LockedCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
