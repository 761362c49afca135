import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTClientCore
import NIOPosix
import Testing

/// The three token sources: minted, fixed, and a token service over HTTP (against a test
/// double of the documented contract).
@Suite struct TokenSourceTests {
    @Test("minted tokens are signed with the device key and expire ttl after the clock's now")
    func minted() async throws {
        let clock = ManualWallClock(unixSeconds: 1_800_000_000)
        let source = MintedTokenSource(deviceID: HubBench.deviceID, hostName: HubBench.hostName, key: HubBench.key, ttl: .seconds(3600), clock: clock)
        let token = try await source.token()
        #expect(token.expiry == 1_800_003_600)
        let parsed = try SASToken(parsing: token.password)
        #expect(try parsed.verify(keys: [HubBench.key], target: "\(HubBench.hostName)/devices/esp8266", now: 1_800_000_000) == 0)
        clock.advance(by: .seconds(60))
        #expect(try await source.token().expiry == 1_800_003_660)
        #expect(source.summary == "minted from the device key (ttl 3600s)")
        #expect("\(token)".contains("sig=") == false)
    }

    @Test("a fixed token is given as is, with its se as expiry")
    func fixed() async throws {
        let text = "SharedAccessSignature sr=yourIotHub.azure-devices.net%2Fdevices%2Fesp8266&sig=bSpX6UMM5hdUKXHfTagZF7cNKDwKnp7I3Oi9LWTZpXI%3D&se=1574590568"
        let token = try await FixedTokenSource(text).token()
        #expect(token.password == text)
        #expect(token.expiry == 1_574_590_568)
        #expect(try await FixedTokenSource("not a sas token").token().expiry == nil)
    }

    @Test("token service: 200 gives the token; 401, 404 and 400 are clear errors")
    func service() async throws {
        let clock = ManualWallClock(unixSeconds: 1_800_000_000)
        let double = try await TokenServiceDouble.start(
            hostName: HubBench.hostName,
            functionKey: "right",
            devices: [HubBench.deviceID: HubBench.key],
            now: { clock.unixSeconds() },
            group: MultiThreadedEventLoopGroup.singleton
        )
        let endpoint = try TokenServiceEndpoint(url: double.url)
        func source(key: String = "right", device: String = "esp8266", ttl: Duration = .seconds(600)) -> TokenServiceSource {
            TokenServiceSource(endpoint: endpoint, functionKey: key, deviceID: HubBench.id(device), ttl: ttl, group: MultiThreadedEventLoopGroup.singleton)
        }
        let token = try await source().token()
        #expect(token.expiry == 1_800_000_600)
        #expect(source().requestTarget == "/api/token?device=esp8266&ttl=600")
        await #expect(throws: TokenSourceError(source: "token service \(endpoint)", reason: "refused the function key (401)")) { try await source(key: "wrong").token() }
        await #expect(throws: TokenSourceError(source: "token service \(endpoint)", reason: "does not know device 'other' (404)")) { try await source(device: "other").token() }
        await #expect(throws: TokenSourceError(source: "token service \(endpoint)", reason: "refused the request (400): ttl must be a positive number of seconds")) {
            try await source(ttl: .zero).token()
        }
        await double.stop()
        let down = TokenServiceSource(endpoint: endpoint, functionKey: "right", deviceID: HubBench.deviceID, ttl: .seconds(60), group: MultiThreadedEventLoopGroup.singleton)
        let error = await #expect(throws: TokenSourceError.self) { try await down.token() }
        #expect(error?.reason.hasPrefix("connection to 127.0.0.1:") == true && error?.reason.hasSuffix(" refused: is the token service running?") == true, "\(String(describing: error))")
    }

    @Test("token service URLs are checked", arguments: [
        ("https://127.0.0.1:8443/api/token", "only http:// URLs are supported (the token service runs on loopback)"),
        ("http://127.0.0.1/api/token", "it needs a host and a port, for example http://127.0.0.1:8080/api/token"),
        ("http://:80/x", "the host is empty"),
    ])
    func endpoints(url: String, reason: String) {
        #expect(throws: TokenSourceError(source: "token service URL '\(url)'", reason: reason)) { try TokenServiceEndpoint(url: url) }
    }
}
