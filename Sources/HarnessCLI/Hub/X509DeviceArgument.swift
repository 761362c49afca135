import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore

/// An X.509 device given on the command line: `--x509-device id:PRIMARY[,SECONDARY]` (a
/// self-signed device registered by thumbprint) or `--x509-ca-device id` (CA-signed).
struct X509DeviceArgument: Sendable, Hashable {
    var id: DeviceID
    var authentication: DeviceAuthentication

    /// Parses `id:PRIMARY[,SECONDARY]`; thumbprints are SHA-1 or SHA-256 hex, colons allowed.
    /// - Throws: ``InvalidInput`` naming the flag.
    static func parseSelfSigned(_ text: String) throws(InvalidInput) -> X509DeviceArgument {
        guard let colon = text.firstIndex(of: ":") else {
            throw InvalidInput(description: "error: --x509-device '\(text)': expected id:THUMBPRINT or id:PRIMARY,SECONDARY (harness cert thumbprint prints a certificate's)")
        }
        let id = try deviceID(String(text[..<colon]), flag: "--x509-device")
        let prints = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard prints.count <= 2 else {
            throw InvalidInput(description: "error: --x509-device '\(text)': at most two thumbprints, primary and secondary")
        }
        var thumbprints: [CertificateThumbprint] = []
        for print in prints {
            do {
                thumbprints.append(try CertificateThumbprint(parsing: print))
            } catch {
                throw InvalidInput(description: "error: --x509-device '\(id)': \(error)")
            }
        }
        return X509DeviceArgument(id: id, authentication: .selfSigned(primary: thumbprints[0], secondary: thumbprints.count > 1 ? thumbprints[1] : nil))
    }

    /// Parses a CA-signed device's id.
    static func parseCASigned(_ text: String) throws(InvalidInput) -> X509DeviceArgument {
        X509DeviceArgument(id: try deviceID(text, flag: "--x509-ca-device"), authentication: .certificateAuthority)
    }

    private static func deviceID(_ text: String, flag: String) throws(InvalidInput) -> DeviceID {
        do {
            return try DeviceID(text)
        } catch {
            throw InvalidInput(description: "error: \(flag) '\(text)': \(error)")
        }
    }
}
