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

    @Test("at the limit, the connection that has waited longest makes room once it has waited the eviction age; younger ones do not")
    func evictionOfTheOldest() {
        let configuration = HubConfiguration(hostName: HubFixtures.hostName, maximumPendingConnections: 3, pendingEvictionAge: .seconds(1))
        var machine = HubFixtures.machine(configuration: configuration)
        _ = machine.connectionOpened(1, at: now)
        _ = machine.connectionOpened(2, at: now + .milliseconds(100))
        _ = machine.connectionOpened(3, at: now + .milliseconds(200))
        // Connection 1 has waited 999 ms: too young to be evicted, the new one is refused.
        let young = machine.connectionOpened(4, at: now + .milliseconds(999))
        #expect(young.closes == [4])
        #expect(young.disconnectReasons == [.tooManyPendingConnections(limit: 3)])
        // At 1 s it makes room; the newcomer is admitted and authenticates.
        let evicted = machine.connectionOpened(5, at: now + .seconds(1))
        #expect(evicted.closes == [1])
        #expect(evicted.disconnectReasons == [.evictedWhilePending(limit: 3, waited: .seconds(1))])
        #expect(machine.pendingConnectionCount == 3)
        #expect(machine.packetReceived(.connect(HubFixtures.connect()), on: 5, at: now + .seconds(1)).sentPackets == [.connack(ConnAckPacket(returnCode: .accepted))])
        // Connection 2 closes by itself; 3 is now the oldest, whatever order they left in.
        _ = machine.connectionClosed(2, at: now + .seconds(2))
        _ = machine.connectionOpened(6, at: now + .seconds(2))
        _ = machine.connectionOpened(7, at: now + .seconds(2))
        #expect(machine.connectionOpened(8, at: now + .seconds(2)).closes == [3])
        #expect(machine.connectionOpened(9, at: now + .seconds(2)).closes == [9])
        #expect(machine.pendingConnectionCount == 3)
    }

    @Test("the pending list stays small however many connections come and go")
    func pendingListCompacts() {
        var pending = PendingConnections()
        for connection in ConnectionID(1)...10_000 {
            pending.insert(connection, openedAt: now)
            if connection > 2 { pending.remove(connection - 2) }
        }
        #expect(pending.count == 2)
        #expect(pending.oldest()?.connection == 9_999)
        pending.remove(9_999)
        #expect(pending.oldest()?.connection == 10_000)
        pending.remove(10_000)
        #expect(pending.oldest() == nil)
        #expect(!pending.contains(10_000))
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
