import Crypto
import Foundation
import IoTHubCore

/// Signs arbitrary text as SAS does, for tokens whose `sr` encoding the library would not
/// produce itself (lower-case hex, raw text).
enum HMACSignature {
    static func sign(_ text: String, key: DeviceKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key.bytes))
        return Data(mac).base64EncodedString()
    }
}
