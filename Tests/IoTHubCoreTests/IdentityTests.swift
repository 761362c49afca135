import IoTHubCore
import Testing

@Suite struct IdentityTests {
    @Test(
        "user name forms",
        arguments: [
            ("h.azure-devices.net/esp8266/?api-version=2018-06-30", "esp8266", "2018-06-30"),
            ("h.azure-devices.net/esp8266/api-version=2016-11-14", "esp8266", "2016-11-14"),
            ("h.azure-devices.net/esp8266", "esp8266", nil),
            ("h.azure-devices.net/esp8266/", "esp8266", nil),
            ("h.azure-devices.net/d1/?api-version=2021-04-12&DeviceClientType=py%2F2.0", "d1", "2021-04-12"),
        ]
    )
    func usernames(text: String, deviceID: String, apiVersion: String?) throws {
        let username = try IoTHubUsername(parsing: text)
        #expect(username.hostName == "h.azure-devices.net")
        #expect(username.deviceID == deviceID)
        #expect(username.moduleID == nil)
        #expect(username.apiVersion == apiVersion)
    }

    @Test("module user names and malformed ones")
    func moduleAndMalformed() throws {
        let module = try IoTHubUsername(parsing: "h/d/m/?api-version=1")
        #expect(module.moduleID == "m")
        #expect(throws: IoTHubCoreError.self) { try IoTHubUsername(parsing: "justahost") }
        #expect(throws: IoTHubCoreError.self) { try IoTHubUsername(parsing: "h//?api-version=1") }
        #expect(throws: IoTHubCoreError.self) { try IoTHubUsername(parsing: "h/esp8266//?api-version=1") }
    }

    @Test("device credentials as the seed firmware uses them")
    func credentials() throws {
        let key = try DeviceKey(base64: SASTokenTests.key)
        let credentials = IoTHubCredentials.device(try DeviceID("esp8266"), hostName: "myhub.azure-devices.net", key: key, expiry: 1_574_590_568, apiVersion: "2018-06-30")
        #expect(credentials.clientID == "esp8266")
        #expect(credentials.username == "myhub.azure-devices.net/esp8266/?api-version=2018-06-30")
        #expect(credentials.password == SASTokenTests.vector)
    }

    @Test("device ids: allowed characters and length")
    func deviceIDs() throws {
        #expect(try DeviceID("esp-8266_a.b(1)@x").string == "esp-8266_a.b(1)@x")
        #expect(throws: IoTHubCoreError.self) { try DeviceID("") }
        #expect(throws: IoTHubCoreError.self) { try DeviceID("has space") }
        #expect(throws: IoTHubCoreError.self) { try DeviceID("a/b") }
        #expect(throws: IoTHubCoreError.self) { try DeviceID(String(repeating: "a", count: 129)) }
    }

    @Test("connection strings parse, and print without the key")
    func connectionStrings() throws {
        let text = "HostName=h.azure-devices.net;DeviceId=esp8266;SharedAccessKey=\(SASTokenTests.key);GatewayHostName=localhost"
        let parsed = try ConnectionString(parsing: text)
        #expect(parsed.hostName == "h.azure-devices.net")
        #expect(parsed.deviceID == "esp8266")
        #expect(parsed.gatewayHostName == "localhost")
        #expect(parsed.rendered == text)
        #expect(parsed.description.contains(SASTokenTests.key) == false)
        #expect(throws: IoTHubCoreError.self) { try ConnectionString(parsing: "DeviceId=x") }
        #expect(throws: IoTHubCoreError.self) { try ConnectionString(parsing: "HostName=h;Bogus=1") }
    }
}
