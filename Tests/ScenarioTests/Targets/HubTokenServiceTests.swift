import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClientCore
import NIOPosix
@testable import Scenario
import Testing

/// `token_service: hub`: the run starts the simulated hub's token endpoint and points the
/// device's token source at it.
@Suite struct HubTokenServiceTests {
    @Test("the session serves tokens from the hub's clock to devices with token_service: hub, and masks the function key")
    func sessionServesTokens() async throws {
        let yaml = "device: { id: esp8266, profile: umqtt-robust, token_service: hub, token_ttl: 10m }\nsteps:\n  - connect: {}\n"
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "token-service.yaml")
        let environment = RunEnvironment(group: MultiThreadedEventLoopGroup.singleton)
        let record = RunRecord(clock: environment.clock, observer: { _ in })
        let session = try await RunSession.start(target: scenario.targets[0], environment: environment, record: record)
        let id = try DeviceID("esp8266")
        let service = try #require(session.participants[id]?.spec.tokenService)
        #expect(service.url.hasPrefix("http://127.0.0.1:") && service.url.hasSuffix("/api/token"))
        #expect(session.secrets.contains(service.key))
        let source = TokenServiceSource(endpoint: try TokenServiceEndpoint(url: service.url), functionKey: service.key, deviceID: id, ttl: .seconds(600), group: environment.group)
        let token = try await source.token()
        let parsed = try SASToken(parsing: token.password)
        #expect(parsed.resource.lowercased() == "simulated.azure-devices.net/devices/esp8266")
        let now = session.backend.wallClock.unixSeconds()
        #expect(abs(parsed.expiry - (now + 600)) <= 2)
        let wrongKey = TokenServiceSource(endpoint: try TokenServiceEndpoint(url: service.url), functionKey: "wrong", deviceID: id, ttl: .seconds(600), group: environment.group)
        await #expect(throws: (any Error).self) { try await wrongKey.token() }
        await session.stop()
    }
}
