/// An IoT Hub shared access signature token:
/// `SharedAccessSignature sr={resource}&sig={signature}&se={expiry}[&skn={policy}]`.
///
/// Parsed once at the edge. The resource is kept exactly as written (`encodedResource`)
/// because the signature covers that literal text, and decoded (`resource`) for scope checks.
/// ``redacted`` renders the token with `sig=***` for logs and reports.
public struct SASToken: Sendable, Hashable, CustomStringConvertible {
    /// The `sr` field exactly as it appears in the token.
    public let encodedResource: String
    /// The `sr` field percent-decoded, for example `myhub.azure-devices.net/devices/esp8266`.
    public let resource: String
    /// The signature in base64 (the `sig` field, percent-decoded). Secret.
    public let signature: String
    /// Expiry as Unix seconds (the `se` field).
    public let expiry: Int64
    /// The shared access policy name (`skn`), absent for tokens signed with a device key.
    public let policyName: String?

    static let prefix = "SharedAccessSignature "

    /// Parses a token string.
    /// - Throws: ``IoTHubCoreError/malformedToken(reason:)`` naming the problem.
    public init(parsing text: String) throws(IoTHubCoreError) {
        guard text.hasPrefix(Self.prefix) else {
            throw .malformedToken(reason: "it does not start with 'SharedAccessSignature '")
        }
        var fields: [String: String] = [:]
        for pair in text.dropFirst(Self.prefix.count).split(separator: "&", omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: "=") else {
                throw .malformedToken(reason: "field '\(pair.prefix(8))' has no '='")
            }
            let name = String(pair[..<equals])
            guard ["sr", "sig", "se", "skn"].contains(name) else {
                throw .malformedToken(reason: "unknown field '\(name.prefix(8))'")
            }
            guard fields[name] == nil else { throw .malformedToken(reason: "field '\(name)' appears twice") }
            fields[name] = String(pair[pair.index(after: equals)...])
        }
        guard let sr = fields["sr"], !sr.isEmpty else { throw .malformedToken(reason: "field 'sr' is missing") }
        guard let sig = fields["sig"], !sig.isEmpty else { throw .malformedToken(reason: "field 'sig' is missing") }
        guard let se = fields["se"] else { throw .malformedToken(reason: "field 'se' is missing") }
        let decodedSE = try PercentEncoding.decode(se)
        guard let expiry = Int64(decodedSE), expiry >= 0 else {
            throw .malformedToken(reason: "field 'se' is not a number of seconds")
        }
        self.encodedResource = sr
        self.resource = try PercentEncoding.decode(sr)
        self.signature = try PercentEncoding.decode(sig)
        self.expiry = expiry
        self.policyName = try fields["skn"].map { text throws(IoTHubCoreError) in try PercentEncoding.decode(text) }
    }

    init(encodedResource: String, resource: String, signature: String, expiry: Int64, policyName: String?) {
        self.encodedResource = encodedResource
        self.resource = resource
        self.signature = signature
        self.expiry = expiry
        self.policyName = policyName
    }

    /// The token as sent on the wire (the MQTT password). Secret: use ``redacted`` for output.
    public var rendered: String { render(signature: PercentEncoding.encode(signature)) }

    /// The token with its signature replaced by `***`, safe for logs and reports.
    public var redacted: String { render(signature: "***") }

    /// Same as ``redacted``: printing a token never shows its signature.
    public var description: String { redacted }

    private func render(signature sig: String) -> String {
        var text = "\(Self.prefix)sr=\(encodedResource)&sig=\(sig)&se=\(expiry)"
        if let policyName { text += "&skn=\(PercentEncoding.encode(policyName))" }
        return text
    }
}
