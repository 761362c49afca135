import HarnessTestSupport
import IoTHubSimulationCore
import Testing

/// Which HTTP requests the hub's WebSocket listener upgrades, and how a refusal ends the
/// connection in the state machine.
@Suite struct WebSocketUpgradePolicyTests {
    @Test("the policy: only GET on the path, a version 13 upgrade with a key, offering mqtt among others (a query string is fine)")
    func policy() {
        let policy = WebSocketUpgradePolicy(path: "/$iothub/websocket", subprotocol: "mqtt")
        let headers: [(name: String, value: String)] = [
            ("upgrade", "WebSocket"), ("Connection", "keep-alive, Upgrade"), ("Sec-WebSocket-Key", "x"),
            ("Sec-WebSocket-Version", "13"), ("sec-websocket-protocol", "wamp, MQTT"),
        ]
        #expect(policy.decide(method: "GET", uri: "/$iothub/websocket?iothub-no-client-cert=true", headers: headers) == .upgrade(subprotocol: "mqtt"))
        #expect(policy.decide(method: "GET", uri: "/$iothub/websocket", headers: headers.filter { $0.name != "Sec-WebSocket-Version" })
            == .refuse(status: 400, reason: "only WebSocket version 13 is supported (Sec-WebSocket-Version: 13)"))
        #expect(policy.decide(method: "GET", uri: "/$iothub/websocket", headers: headers.filter { $0.name != "Connection" })
            == .refuse(status: 400, reason: "a WebSocket upgrade needs Connection: upgrade"))
        #expect(policy.decide(method: "GET", uri: "/$iothub/websocket", headers: headers.filter { $0.name != "Sec-WebSocket-Key" })
            == .refuse(status: 400, reason: "a WebSocket upgrade needs one Sec-WebSocket-Key"))
        let long = "/" + String(repeating: "a", count: 500)
        #expect(policy.decide(method: "GET", uri: long, headers: headers)
            == .refuse(status: 404, reason: "nothing is served at \(long.prefix(100))...; MQTT over WebSockets is at /$iothub/websocket"))
    }

    @Test("a refused upgrade request or a forbidden frame ends the connection with the reason, reported as a refusal")
    func webSocketFailure() {
        var state = HubFixtures.machine()
        _ = state.connectionOpened(7, at: HubFixtures.start)
        let actions = state.webSocketFailed(7, reason: "HTTP 404: nothing is served at /x", at: HubFixtures.start)
        #expect(actions.closes == [7])
        #expect(actions.contains(.emit(.disconnected(nil, connection: 7, reason: .webSocketRefused("HTTP 404: nothing is served at /x")))))
        #expect(DisconnectReason.webSocketRefused("x").description == "WebSocket refused: x")
        #expect(state.webSocketFailed(7, reason: "again", at: HubFixtures.start).isEmpty)
    }
}
