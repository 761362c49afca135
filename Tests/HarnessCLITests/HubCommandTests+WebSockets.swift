import ArgumentParser
import Foundation
import IoTHubSimulation
@testable import HarnessCLI
import Testing

/// `harness hub --websocket-port`: 443 beside the standard 8883, a free port otherwise, and the
/// listener in the banner.
extension HubCommandTests {
    func settings(_ arguments: [String]) throws -> HubSession.Settings {
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "d", "--state-file", "/tmp/unused-\(UUID().uuidString).json"] + arguments) as? Hub)
        return try command.makeSettings()
    }

    @Test("hub: WebSockets on 443 with the standard --port 8883, on a free port with --port 0, or where --websocket-port says")
    func webSocketPortDefaults() throws {
        #expect(try settings([]).webSocketPort == 443)
        #expect(try settings(["--port", "0"]).webSocketPort == 0)
        #expect(try settings(["--port", "0", "--websocket-port", "9443"]).webSocketPort == 9443)
        #expect(throws: (any Error).self) { try HarnessCommand.parseAsRoot(["hub", "--websocket-port", "70000"]) }
    }

    @Test("hub: the banner names the wss listener, its path and subprotocol")
    func webSocketBanner() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withHub(["--device", "esp8266", "--port", "0", "--state-file", "\(folder)/s.json"]) { session, _ in
            let port = try #require(session.endpoints.webSocketPort)
            #expect(port != 0)
            let banner = session.banner(showKeys: false)
            #expect(banner.contains("  MQTT over WebSockets:  wss://127.0.0.1:\(port)/$iothub/websocket (subprotocol mqtt)"), "\(banner)")
        }
    }
}
