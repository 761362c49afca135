import Devices
import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// The umqtt-robust and sdk profiles on the client engine, event by event with explicit
/// times: what each sends on the wire, when, and with which token.
@Suite struct ClientProfileTests {
    static let second: Int64 = 1_000_000_000
    static let start: Int64 = 1_800_000_000 * second
    let connect = ConnectOptions(clientID: "esp8266", cleanSession: true, keepAlive: 60, username: "u", password: nil)

    static func token(_ name: String, expiry: Int64) -> ClientToken {
        ClientToken(password: name, expiry: expiry)
    }

    /// A session of `profile` that asked for and got `first`, connected, and was accepted at
    /// `start` (its connect was operation 1).
    func connected(_ profile: DeviceProfile, settings: ClientSettings = ClientSettings(usesTokenSource: true), first: ClientToken = token("t1", expiry: 1_800_003_600)) -> MQTTClientSession {
        var machine = MQTTClientSession(configuration: profile.configuration(settings))
        _ = machine.start(.connect(connect), id: 1, now: Self.start)
        _ = machine.tokenReceived(first, now: Self.start)
        _ = machine.transportConnected(now: Self.start)
        _ = machine.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: Self.start)
        return machine
    }

    func sentConnect(_ actions: [MQTTClientSession.Action]) -> ConnectPacket? {
        actions.sentConnect
    }

    // MARK: umqtt-robust

    @Test("umqtt-robust: a drop reconnects at once with clean session 0 and a fresh token, no SUBSCRIBE")
    func robustReconnects() {
        var machine = connected(.umqttRobust)
        #expect(machine.start(.subscribe([.init(filter: topicFilter("devices/esp8266/messages/devicebound/#"), qos: .atMostOnce)]), id: 2, now: Self.start).count == 1)
        _ = machine.packetReceived(.suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])), now: Self.start)
        let dropped = Self.start + 5 * Self.second
        #expect(
            machine.transportClosed(now: dropped) == [
                .report(.disconnected(reason: "connection closed by the broker")),
                .report(.reconnecting(attempt: 1)),
                .fetchToken,
            ]
        )
        #expect(machine.tokenReceived(Self.token("t2", expiry: 1_800_007_200), now: dropped) == [.openTransport])
        let actions = machine.transportConnected(now: dropped)
        let packet = sentConnect(actions)
        #expect(packet?.cleanSession == false)
        #expect(packet?.password == ByteBuffer(string: "t2"))
        let accepted = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)), now: dropped)
        #expect(accepted == [.report(.connAckReceived(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))])
        #expect(machine.isConnected)
    }

    @Test("umqtt-robust: a network failure while reconnecting waits DELAY = 2 s and tries again")
    func robustBackOff() {
        var machine = connected(.umqttRobust)
        let dropped = Self.start + Self.second
        _ = machine.transportClosed(now: dropped)
        _ = machine.tokenReceived(Self.token("t2", expiry: 1_800_007_200), now: dropped)
        let failed = machine.transportFailed(reason: "connection refused", now: dropped)
        #expect(failed == [.report(.transportFailed(reason: "connection refused")), .scheduleTick(at: dropped + 2 * Self.second)])
        #expect(machine.tick(now: dropped + Self.second) == [.scheduleTick(at: dropped + 2 * Self.second)])
        #expect(machine.tick(now: dropped + 2 * Self.second) == [.report(.reconnecting(attempt: 2)), .fetchToken])
    }

    @Test("umqtt-robust: a refused CONNACK on reconnect is MQTTException, which robust does not catch")
    func robustRefused() {
        var machine = connected(.umqttRobust)
        _ = machine.transportClosed(now: Self.start)
        _ = machine.tokenReceived(Self.token("expired", expiry: 1_700_000_000), now: Self.start)
        _ = machine.transportConnected(now: Self.start)
        let actions = machine.packetReceived(.connack(ConnAckPacket(returnCode: .notAuthorized)), now: Self.start)
        #expect(actions.contains(.report(.stopped(reason: "MQTTException(5)"))))
        #expect(machine.stopReason == "MQTTException(5)")
    }

    @Test("umqtt-robust never pings unless the device turns pings on; then every keep-alive after the last packet sent")
    func robustPingsOverride() {
        var quiet = connected(.umqttRobust)
        #expect(quiet.nextDeadline == nil)
        #expect(quiet.tick(now: Self.start + 600 * Self.second) == [])
        var pinging = connected(.umqttRobust, settings: ClientSettings(sendsPings: true, usesTokenSource: true))
        #expect(pinging.nextDeadline == Self.start + 60 * Self.second)
        let due = Self.start + 60 * Self.second
        #expect(pinging.tick(now: due) == [.send(.pingreq), .scheduleTick(at: due + 60 * Self.second)])
    }

    // MARK: sdk

    @Test("sdk: PINGREQ after keep-alive without traffic; a second period without PINGRESP drops the link")
    func sdkPings() {
        var machine = connected(.sdk)
        let due = Self.start + 60 * Self.second
        #expect(machine.nextDeadline == due)
        #expect(machine.tick(now: due - 1) == [.scheduleTick(at: due)])
        #expect(machine.tick(now: due) == [.send(.pingreq), .scheduleTick(at: due + 60 * Self.second)])
        #expect(machine.packetReceived(.pingresp, now: due + Self.second) == [.scheduleTick(at: due + 60 * Self.second)])
        var silent = connected(.sdk)
        _ = silent.tick(now: due)
        #expect(
            silent.tick(now: due + 60 * Self.second) == [
                .report(.disconnected(reason: "no PINGRESP within the keep-alive of 60s")), .closeTransport,
            ]
        )
    }

    @Test("sdk with pings turned off sends none")
    func sdkPingsOff() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        let renewal = (1_800_003_600 - 120) * Self.second
        #expect(machine.nextDeadline == renewal)
        #expect(machine.tick(now: Self.start + 3000 * Self.second) == [.scheduleTick(at: renewal)])
    }

    @Test("sdk: renews 120 s before expiry by DISCONNECT and CONNECT with the new token, clean session 0")
    func sdkRenews() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        let renewal = (1_800_003_600 - 120) * Self.second
        #expect(machine.tick(now: renewal) == [.fetchToken])
        #expect(machine.tokenReceived(Self.token("t2", expiry: 1_800_007_080), now: renewal) == [.report(.renewingToken), .send(.disconnect), .closeTransport])
        #expect(machine.transportClosed(now: renewal) == [.report(.disconnected(reason: "closed to renew the token")), .openTransport])
        let packet = sentConnect(machine.transportConnected(now: renewal))
        #expect(packet?.password == ByteBuffer(string: "t2"))
        #expect(packet?.cleanSession == false)
        _ = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)), now: renewal)
        #expect(machine.nextDeadline == (1_800_007_080 - 120) * Self.second)
    }

    @Test("sdk: a custom renewal margin; a token source without a newer token is not renewed in a loop")
    func sdkMarginAndFixedToken() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, renewalMargin: .seconds(600), usesTokenSource: true))
        let renewal = (1_800_003_600 - 600) * Self.second
        #expect(machine.nextDeadline == renewal)
        _ = machine.tick(now: renewal)
        let same = machine.tokenReceived(Self.token("t1", expiry: 1_800_003_600), now: renewal)
        #expect(same == [.report(.tokenFailed(reason: "the token source gave no newer token; keeping the current one"))])
        #expect(machine.nextDeadline == nil)
        #expect(machine.isConnected)
    }

    @Test("sdk: a token expiring at the largest se there is renews never, with no overflow, and a drop reconnects with it")
    func sdkFarFutureToken() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true), first: Self.token("forever", expiry: .max))
        #expect(machine.nextDeadline == .max - 120 * Self.second)
        _ = machine.transportClosed(now: Self.start)
        #expect(machine.tick(now: Self.start + 10_000_000) == [.report(.reconnecting(attempt: 1)), .openTransport])
        #expect(sentConnect(machine.transportConnected(now: Self.start + 10_000_000))?.password == ByteBuffer(string: "forever"))
    }

    @Test("sdk: after a drop it waits 10 ms; with the token past its renewal time it fetches a fresh one first")
    func sdkReconnectAfterExpiry() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        let dropped = (1_800_003_600 + 1) * Self.second
        let wait = dropped + 10_000_000
        #expect(machine.transportClosed(now: dropped) == [.report(.disconnected(reason: "connection closed by the broker")), .scheduleTick(at: wait)])
        #expect(machine.tick(now: wait) == [.report(.reconnecting(attempt: 1)), .fetchToken])
    }

    @Test("sdk: a drop well before expiry reconnects with the same token; network failures retry every 10 s")
    func sdkReconnectSameToken() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        let dropped = Self.start + 10 * Self.second
        _ = machine.transportClosed(now: dropped)
        #expect(machine.tick(now: dropped + 10_000_000) == [.report(.reconnecting(attempt: 1)), .openTransport])
        #expect(sentConnect(machine.transportConnected(now: dropped))?.password == ByteBuffer(string: "t1"))
        let closed = machine.transportClosed(now: dropped + Self.second)
        #expect(closed == [.report(.disconnected(reason: "connection closed before CONNACK")), .scheduleTick(at: dropped + 11 * Self.second)])
    }

    @Test("sdk: a refused reconnect ends retrying without stopping the program")
    func sdkRefusal() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        _ = machine.transportClosed(now: Self.start)
        _ = machine.tick(now: Self.start + 10_000_000)
        _ = machine.transportConnected(now: Self.start + 10_000_000)
        let actions = machine.packetReceived(.connack(ConnAckPacket(returnCode: .notAuthorized)), now: Self.start + 20_000_000)
        #expect(actions.contains(.report(.disconnected(reason: "reconnect refused with CONNACK 5; the client stops retrying"))))
        #expect(actions.last == .closeTransport)
        #expect(machine.stopReason == nil)
        #expect(machine.nextDeadline == nil)
    }

    @Test("sdk: a reconnect refused with CONNACK 3 (server unavailable) is transient: it retries after 10 s, also once the refused connection closes")
    func sdkServerUnavailable() {
        var machine = connected(.sdk, settings: ClientSettings(sendsPings: false, usesTokenSource: true))
        _ = machine.transportClosed(now: Self.start)
        _ = machine.tick(now: Self.start + 10_000_000)
        _ = machine.transportConnected(now: Self.start + 10_000_000)
        let refusedAt = Self.start + 20_000_000
        let actions = machine.packetReceived(.connack(ConnAckPacket(returnCode: .serverUnavailable)), now: refusedAt)
        #expect(actions.contains(.report(.disconnected(reason: "reconnect refused with CONNACK 3 (server unavailable); the client retries"))))
        #expect(actions.contains(.scheduleTick(at: refusedAt + 10 * Self.second)))
        #expect(actions.last == .closeTransport)
        // The close of that connection re-arms the retry, which the driver's timer lost with it.
        #expect(machine.transportClosed(now: refusedAt + 1_000_000) == [.scheduleTick(at: refusedAt + 10 * Self.second)])
        #expect(machine.stopReason == nil)
        #expect(machine.nextDeadline == refusedAt + 10 * Self.second)
        #expect(machine.tick(now: refusedAt + 10 * Self.second).contains(.report(.reconnecting(attempt: 2))))
    }

    @Test("a token source that fails: the first connect ends with the reason; a reconnect retries later")
    func tokenFailures() {
        var machine = MQTTClientSession(configuration: DeviceProfile.umqttRobust.configuration(ClientSettings(usesTokenSource: true)))
        #expect(machine.start(.connect(connect), id: 1, now: Self.start) == [.fetchToken])
        #expect(
            machine.tokenFailed(reason: "token service: 401", now: Self.start) == [
                .report(.tokenFailed(reason: "token service: 401")), .complete(1, .connectionEnded(reason: "no token: token service: 401")),
            ]
        )
        var reconnecting = connected(.umqttRobust)
        _ = reconnecting.transportClosed(now: Self.start)
        #expect(reconnecting.tokenFailed(reason: "down", now: Self.start) == [.report(.tokenFailed(reason: "down")), .scheduleTick(at: Self.start + 2 * Self.second)])
    }

    @Test("restart drops everything: no timers, packet ids from 1, the next connect asks for a token again")
    func restart() {
        var machine = connected(.sdk)
        #expect(machine.restart(now: Self.start) == [.report(.restarted), .closeTransport])
        #expect(machine.nextDeadline == nil)
        #expect(machine.start(.connect(connect), id: 2, now: Self.start) == [.fetchToken])
    }
}
