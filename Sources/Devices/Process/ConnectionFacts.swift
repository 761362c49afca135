import Foundation

/// What a firmware outside the harness needs to connect, offered to its command line and
/// environment as `${NAME}` variables:
///
/// | variable | value |
/// | --- | --- |
/// | `${HUB_HOST}`, `${HUB_PORT}` | where the hub listens |
/// | `${DEVICE_ID}` | the device id (MQTT client id) |
/// | `${USERNAME}` | the IoT Hub user name |
/// | `${PASSWORD}` | the SAS token from the device's token source (empty with a token service) |
/// | `${HUB_TLS}` | `1` when the hub wants TLS, `0` on plain TCP |
/// | `${CA_FILE}` | the file of the hub's root certificate: the target's CA, else the system's bundle on TLS (empty on plain TCP) |
/// | `${TOKEN_URL}`, `${TOKEN_KEY}`, `${TOKEN_TTL}` | the token service, its function key and the token lifetime in seconds |
/// | `${CLEAN_SESSION}`, `${KEEPALIVE}` | what the scenario's `connect` step asked for (`0`/`1`, seconds) |
/// | `${PRELUDE_FILE}` | a file holding the harness's MicroPython prelude |
///
/// `PASSWORD` and `TOKEN_KEY` are secrets: the harness masks them in every output line it
/// reports and never logs the environment.
public struct ConnectionFacts: Sendable, Hashable {
    public var values: [String: String]

    /// The names the harness fills in.
    public static let names = [
        "HUB_HOST", "HUB_PORT", "HUB_TLS", "DEVICE_ID", "USERNAME", "PASSWORD", "CA_FILE", "TOKEN_URL", "TOKEN_KEY", "TOKEN_TTL",
        "CLEAN_SESSION", "KEEPALIVE", "PRELUDE_FILE",
    ]

    /// The names whose values are secret.
    public static let secretNames: Set<String> = ["PASSWORD", "TOKEN_KEY"]

    public init(values: [String: String]) {
        self.values = values
    }

    /// The system's bundle of root certificates (Debian's and Alpine's, then Red Hat's), for
    /// firmware on a TLS hub whose target names no CA, such as the real Azure IoT Hub.
    public static var systemRootBundle: String? {
        ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The secret values, for masking.
    public var secrets: [String] {
        Self.secretNames.compactMap { values[$0] }.filter { !$0.isEmpty }
    }

    /// `text` with every `${NAME}` of a known name replaced by its value (empty when the run
    /// has none). Other `${...}` are left as they are.
    public func substitute(in text: String) -> String {
        substitute(in: text, names: Set(Self.names))
    }

    /// `text` with every `${NAME}` of `names` replaced by its value (empty when absent), in
    /// one pass: replaced text is never scanned again.
    public func substitute(in text: String, names: Set<String>) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            let afterOpen = rest[start.upperBound...]
            guard let close = afterOpen.firstIndex(of: "}") else {
                result += rest[start.lowerBound...]
                return result
            }
            let name = String(afterOpen[..<close])
            if names.contains(name) {
                result += values[name] ?? ""
            } else {
                result += rest[start.lowerBound...close]
            }
            rest = afterOpen[afterOpen.index(after: close)...]
        }
        return result + rest
    }
}
