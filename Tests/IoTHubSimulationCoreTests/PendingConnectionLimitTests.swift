import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulationCore
import MQTTCore
import Testing

/// What a client that never authenticates may hold, decided by the hub's rules: one of a
/// limited number of places; and when memory goes back after a burst.
@Suite struct PendingConnectionLimitTests {
    let now = HubFixtures.start

    @Test("beyond the limit of connections waiting for CONNECT, a new one is closed at once; an accepted CONNECT frees a place")
    func pendingLimit() {
        var machine = HubFixtures.machine(configuration: HubConfiguration(hostName: HubFixtures.hostName, maximumPendingConnections: 2))
        #expect(machine.connectionOpened(1, at: now).closes.isEmpty)
        #expect(machine.connectionOpened(2, at: now).closes.isEmpty)
        #expect(machine.pendingConnectionCount == 2)
        let refused = machine.connectionOpened(3, at: now)
        #expect(refused.closes == [3])
        #expect(refused.disconnectReasons == [.tooManyPendingConnections(limit: 2)])
        #expect(machine.pendingConnectionCount == 2)
        // Connection 1 authenticates: a place frees up.
        #expect(machine.packetReceived(.connect(HubFixtures.connect()), on: 1, at: now).sentPackets == [.connack(ConnAckPacket(returnCode: .accepted))])
        #expect(machine.pendingConnectionCount == 1)
        #expect(machine.connectionOpened(4, at: now).closes.isEmpty)
        // A refused CONNECT, a close and the CONNECT timeout each free one too.
        _ = machine.packetReceived(.connect(HubFixtures.connect(key: DeviceKey(bytes: Array(repeating: 9, count: 32)))), on: 2, at: now)
        #expect(machine.pendingConnectionCount == 1)
        _ = machine.connectionClosed(4, at: now)
        #expect(machine.pendingConnectionCount == 0)
        _ = machine.connectionOpened(5, at: now)
        #expect(machine.tick(at: now + .seconds(30)).closes == [5])
        #expect(machine.pendingConnectionCount == 0)
    }

    @Test("memory goes back to the system after a burst of closes, once the open connections are at most half their peak")
    func memoryReturn() {
        var policy = MemoryReturnPolicy(burst: 4)
        for open in 1...8 { policy.opened(open: open) }
        policy.closed()
        #expect(!policy.isWatching)
        #expect(policy.check(open: 7) == .stop)
        for _ in 0..<3 { policy.closed() }
        #expect(policy.isWatching)
        #expect(policy.check(open: 5) == .wait)
        #expect(policy.check(open: 4) == .returnMemory)
        #expect(!policy.isWatching)
        // Connections that open and close one after another (never many at once) count too.
        for _ in 0..<4 {
            policy.opened(open: 1)
            policy.closed()
        }
        #expect(policy.check(open: 0) == .returnMemory)
    }
}
