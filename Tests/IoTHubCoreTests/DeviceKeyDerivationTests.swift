import IoTHubCore
import Testing

/// Keys of a group's devices, as DPS derives them for a symmetric-key group enrollment.
@Suite struct DeviceKeyDerivationTests {
    @Test("HMAC-SHA256 of the registration id under the group key, as Python's hmac computes it")
    func derivation() throws {
        let group = try DeviceKey(base64: "AAECAwQFBgcICQoLDA0ODw==")
        #expect(DeviceKey.derived(fromGroupKey: group, registrationID: "sensor-000").base64 == "hwFTDC4nZCPsOxrcWYWIca9M7uOdXsBVKUmjDSv7+ME=")
        #expect(DeviceKey.derived(fromGroupKey: group, registrationID: "sensor-001") != DeviceKey.derived(fromGroupKey: group, registrationID: "sensor-000"))
    }
}
