/// Hubs: what a scenario runs against.
extension Vocabulary {
    /// The kinds of hub a `hub:` mapping names (`kind`, or the scheme of its `url`).
    static let hubKinds = ["simulated", "mqtt", "mqtts", "azure"]

    /// The keys of a `hub:` mapping.
    static let hub = VocabularyMapping([
        VocabularyKey("kind", .oneOf(hubKinds), "simulated (default): the embedded IoT Hub; mqtt, mqtts: a generic MQTT broker; azure: an Azure IoT Hub."),
        hubKey("url", for: ["mqtt", "mqtts", "azure"], .string(pattern: "^(mqtt|mqtts|azure)://"), "where the hub is, for example mqtts://host:8883."),
        hubKey("hostname", for: ["simulated", "azure"], .string(minLength: 1), "the IoT Hub host name."),
        hubKey("tls", for: ["simulated"], .type(.boolean), "TLS (default true) or plain TCP."),
        hubKey(
            "throttle_connack", for: ["simulated"], .anyOf([.oneOf([3, 5]), .oneOf(["3", "5"]), .variable]),
            "the CONNACK a CONNECT gets while a throttle fault is on: 5 (not authorized, the default) or 3 (server unavailable); which one the real hub sends is unconfirmed."
        ),
        hubKey(
            "tls_profile", for: ["simulated"], .oneOf(SimulatedHubTarget.TLSProfile.allCases.map(\.rawValue)),
            "what the hub's TLS accepts: strict (default; the real hub's since August 2025: TLS 1.2 with ECDHE suites or 1.3, 1.3 only with SNI) or legacy (also TLS 1.0/1.1 and RSA key exchange, named in reports)."
        ),
        hubKey(
            "x509_ca", for: ["simulated"], .string(),
            "a CA certificate (PEM) registered and verified on the hub: devices whose cert_file it signed connect as CA-signed X.509 devices (harness cert ca makes one)."
        ),
        hubKey("ca_file", for: ["mqtts", "azure"], .string(), "the CA (PEM) devices and the harness trust."),
        hubKey("cert_file", for: ["mqtts"], .string(), "client certificate (PEM)."),
        hubKey("key_file", for: ["mqtts"], .string(), "client key (PEM)."),
        hubKey("server_name", for: ["mqtts"], .string(), "the name checked against the broker's certificate."),
        hubKey("username", for: ["mqtt", "mqtts"], .string(), "user name of the harness's own cloud-side connection."),
        hubKey("password", for: ["mqtt", "mqtts"], .string(), "its password.", isSecret: true),
        hubKey("address", for: ["azure"], .address, "host:port devices connect to (default: the host name, 8883)."),
        hubKey("service_url", for: ["azure"], .string(pattern: "^https?://"), "the service REST API's base URL (default https://<hostname>)."),
        hubKey(
            "service_connection_string", for: ["azure"], .string(),
            "service connection string for C2D (default: $IOTHUB_SERVICE_CONNECTION_STRING).", isSecret: true
        ),
        hubKey(
            "c2d_command", for: ["azure"], .list(of: .string(), minItems: 1),
            "a command that sends C2D, with ${DEVICE_ID}, ${PAYLOAD}, ${HUB_NAME}, ${HUB_HOSTNAME}, ${MESSAGE_ID}."
        ),
        dpsHubKey,
    ])

    /// A `hub:` value: a name, a URL, a variable, or a mapping.
    static var hubValue: JSONSchema {
        var simulated = JSONSchema.oneOf(["simulated", "simulated+tcp"])
        simulated.description = "simulated: the embedded IoT Hub over TLS; simulated+tcp: over plain TCP."
        let url = JSONSchema.string(pattern: "^(mqtt|mqtts|azure)://[^/?#]+")
            .described("mqtt://host:port, mqtts://host:port?ca_file=..., azure://NAME.azure-devices.net")
        return JSONSchema.anyOf([simulated, url, .variable, hub.schema()])
            .described("What to run against: the simulated IoT Hub (default, TLS), a generic MQTT broker, or an Azure IoT Hub.")
    }

    /// A hub key that only some kinds take.
    private static func hubKey(_ name: String, for kinds: [String], _ value: JSONSchema, _ description: String, isSecret: Bool = false) -> VocabularyKey {
        VocabularyKey(name, value, description, forms: kinds, formLabel: kinds.count == 1 ? "Hub kind" : "Hub kinds", isSecret: isSecret)
    }
}
