import Crypto
import Foundation
import IoTHubCore

/// Signs arbitrary text, to build tokens whose `sr` is encoded differently from the SDKs.
enum HMACHelper {
    static func sign(_ text: String, key: DeviceKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key.bytes))
        return Data(mac).base64EncodedString()
    }
}
