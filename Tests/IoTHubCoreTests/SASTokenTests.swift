import Foundation
import IoTHubCore
import Testing

@Suite struct SASTokenTests {
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    static let resource = "myhub.azure-devices.net/devices/esp8266"
    static let vector =
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fesp8266&sig=u7eiObO3d1jxFz%2FkohgM1vOPyIzcLYdGKgTgqvgEUMU%3D&se=1574590568"

    @Test("the documented algorithm reproduces the test vector exactly")
    func vector() throws {
        let token = SASToken.make(resource: Self.resource, key: try DeviceKey(base64: Self.key), expiry: 1_574_590_568)
        #expect(token.rendered == Self.vector)
        #expect(token.signature == "u7eiObO3d1jxFz/kohgM1vOPyIzcLYdGKgTgqvgEUMU=")
    }

    @Test("parse and render round trip; printing never shows the signature")
    func parseRender() throws {
        let token = try SASToken(parsing: Self.vector)
        #expect(token.resource == Self.resource)
        #expect(token.encodedResource == "myhub.azure-devices.net%2Fdevices%2Fesp8266")
        #expect(token.expiry == 1_574_590_568)
        #expect(token.policyName == nil)
        #expect(token.rendered == Self.vector)
        #expect(token.redacted == "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fesp8266&sig=***&se=1574590568")
        #expect("\(token)".contains("u7ei") == false)
    }

    @Test("field order does not matter, skn is kept")
    func fieldOrder() throws {
        let token = try SASToken(parsing: "SharedAccessSignature se=100&skn=device&sig=abc%3D&sr=h%2Fdevices%2Fd")
        #expect(token.expiry == 100)
        #expect(token.policyName == "device")
        #expect(token.signature == "abc=")
        #expect(token.resource == "h/devices/d")
    }

    @Test(
        "malformed tokens are refused with the reason",
        arguments: [
            ("sr=a&sig=b&se=1", "does not start"),
            ("SharedAccessSignature sig=b&se=1", "'sr' is missing"),
            ("SharedAccessSignature sr=a&se=1", "'sig' is missing"),
            ("SharedAccessSignature sr=a&sig=b", "'se' is missing"),
            ("SharedAccessSignature sr=a&sig=b&se=soon", "not a number"),
            ("SharedAccessSignature sr=a&sig=b&se=1&foo=2", "unknown field"),
            ("SharedAccessSignature sr=a&sig=b&se=1&se=2", "appears twice"),
            ("SharedAccessSignature sr=a&sig=b&se", "has no '='"),
            ("SharedAccessSignature sr=%zz&sig=b&se=1", "percent-encoding"),
        ]
    )
    func malformed(text: String, reason: String) {
        let error = #expect(throws: IoTHubCoreError.self) { try SASToken(parsing: text) }
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
    }

    @Test("verification: primary and secondary key, expiry with skew, scope by segment, case-insensitive")
    func verify() throws {
        let primary = try DeviceKey(base64: Self.key)
        let secondary = DeviceKey(bytes: Array(repeating: 7, count: 32))
        let other = DeviceKey(bytes: Array(repeating: 9, count: 32))
        let target = Self.resource
        let token = SASToken.make(resource: Self.resource, key: secondary, expiry: 1000)

        #expect(try token.verify(keys: [primary, secondary], target: target, now: 999) == 1)
        #expect(throws: IoTHubCoreError.signatureMismatch) { try token.verify(keys: [primary, other], target: target, now: 999) }
        #expect(throws: IoTHubCoreError.tokenExpired(expiry: 1000, now: 1001)) { try token.verify(keys: [secondary], target: target, now: 1001) }
        #expect(try token.verify(keys: [secondary], target: target, now: 1300, allowingSkew: 300) == 0)
        #expect(throws: IoTHubCoreError.tokenExpired(expiry: 1000, now: 1301)) {
            try token.verify(keys: [secondary], target: target, now: 1301, allowingSkew: 300)
        }
        #expect(throws: IoTHubCoreError.scopeMismatch(resource: Self.resource, target: "myhub.azure-devices.net/devices/esp82660")) {
            try token.verify(keys: [secondary], target: "myhub.azure-devices.net/devices/esp82660", now: 0)
        }

        let hubScoped = SASToken.make(resource: "MyHub.Azure-Devices.net/devices/", key: primary, expiry: 1000)
        #expect(hubScoped.covers(target))
        #expect(hubScoped.covers("myhub.azure-devices.net/devicesx/a") == false)
    }

    @Test("literal sr: lower-case and raw encodings verify, since the signature covers the text as written")
    func literalResource() throws {
        let key = try DeviceKey(base64: Self.key)
        for encoded in ["myhub.azure-devices.net%2fdevices%2fesp8266", "myhub.azure-devices.net/devices/esp8266"] {
            let signature = HMACHelper.sign("\(encoded)\n2000", key: key)
            let token = try SASToken(parsing: "SharedAccessSignature sr=\(encoded)&sig=\(PercentEncoding.encode(signature))&se=2000")
            #expect(try token.verify(keys: [key], target: Self.resource, now: 0) == 0)
        }
    }

    @Test("a tampered expiry breaks the signature")
    func tamperedExpiry() throws {
        let key = try DeviceKey(base64: Self.key)
        let forged = Self.vector.replacingOccurrences(of: "se=1574590568", with: "se=4102444800")
        #expect(throws: IoTHubCoreError.signatureMismatch) {
            try SASToken(parsing: forged).verify(keys: [key], target: Self.resource, now: 0)
        }
    }

    @Test("keys: invalid base64 is refused, and a key never prints")
    func keys() throws {
        #expect(throws: IoTHubCoreError.self) { try DeviceKey(base64: "not base64!") }
        #expect(throws: IoTHubCoreError.self) { try DeviceKey(base64: "") }
        let key = try DeviceKey(base64: Self.key)
        #expect("\(key)" == "DeviceKey(***)")
        #expect(DeviceKey.random().bytes.count == 32)
        #expect(DeviceKey.random() != DeviceKey.random())
    }
}
