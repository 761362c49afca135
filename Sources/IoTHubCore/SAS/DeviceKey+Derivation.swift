import Crypto
import Foundation

extension DeviceKey {
    /// The key of one device of a group, derived from the group's key as the Device
    /// Provisioning Service derives it for a symmetric-key group enrollment and as the SDKs
    /// compute it: HMAC-SHA256 of the registration id (the device id) under the group key.
    /// A fleet's devices get their keys this way, so a real hub or DPS group that holds the
    /// same group key agrees with the harness on every device's key.
    public static func derived(fromGroupKey groupKey: DeviceKey, registrationID: String) -> DeviceKey {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(registrationID.utf8), using: SymmetricKey(data: groupKey.bytes))
        return DeviceKey(bytes: Array(mac))
    }
}
