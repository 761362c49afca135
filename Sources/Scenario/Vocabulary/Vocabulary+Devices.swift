import MQTTCore
import Devices

/// Devices: identity and credentials for every kind, then the settings of each kind.
extension Vocabulary {
    /// A kind of device: what it is, and the key it cannot do without.
    struct DeviceKind: Sendable {
        let kind: DeviceSpec.Kind
        let description: String
        /// The keys a device of this kind must have one of (and only one), if any.
        let requiredKeys: [String]
    }

    static let deviceKinds = [
        DeviceKind(kind: .simulated, description: "the in-process device model (the default)", requiredKeys: []),
        DeviceKind(kind: .process, description: "firmware run as a command", requiredKeys: ["command", "runtime"]),
        DeviceKind(kind: .serial, description: "a MicroPython board on a serial port", requiredKeys: ["port"]),
        DeviceKind(kind: .client, description: "a full MQTT client (3.1.1, or 5.0 with protocol: 5) that can also send raw bytes", requiredKeys: []),
    ]

    /// The keys of `device:`, each item of `devices:`, and a target's `device:`.
    static let device = VocabularyMapping([
        VocabularyKey("id", .string(minLength: 1, maxLength: 128), "The device id: its IoT Hub identity, and the MQTT client id unless client_id says otherwise."),
        VocabularyKey(
            "kind", .oneOf(DeviceSpec.Kind.allCases.map(\.rawValue)),
            deviceKinds.map { "\($0.kind.rawValue): \($0.description)" }.joined(separator: "; ") + "."
        ),
        // Identity and credentials, the same for every kind.
        VocabularyKey("key", .string(), "The device's primary key in base64; a random one per run when absent.", isSecret: true),
        VocabularyKey("token", .string(), "A fixed SAS token the device presents, as the seed firmware pastes one in.", isSecret: true),
        VocabularyKey("token_ttl", .duration, "Lifetime of the SAS tokens the harness mints for the device (default 1h). " + JSONSchema.durationFormat),
        VocabularyKey("api_version", .string(), "The api-version in the device's IoT Hub user name (default 2018-06-30)."),
        VocabularyKey(
            "trusted_roots", .oneOf(DeviceSpec.TrustedRoots.allCases.map(\.rawValue)),
            "Simulated hub over TLS: the roots the device trusts: current (default, the hub's root, ca.pem), next (only the root a ca_rotation fault moves the hub to, ca-next.pem) or both (ca-bundle.pem); firmware gets the file as ${CA_FILE} unless ca_file says otherwise."
        ),
        kindKey(
            "token_service", for: [.simulated, .process, .serial],
            .anyOf([.oneOf(["hub"]), tokenService.schema(required: ["url", "key"])]),
            "get tokens from a token service instead of minting them; 'hub': the simulated hub's own token endpoint."
        ),
        protocolKey,
        VocabularyKey("client_id", .string(), "The MQTT client id the device presents (default: its device id, or the IoT Hub one)."),
        VocabularyKey("username", .string(), "The user name the device presents (default: the IoT Hub one; none on a generic broker)."),
        VocabularyKey("password", .string(), "The password the device presents instead of a SAS token.", isSecret: true),
        VocabularyKey(
            "connection_string", .string(),
            "A device connection string (HostName=...;DeviceId=...;SharedAccessKey=...): the device's id and key.", isSecret: true
        ),
        // simulated
        kindKey("profile", for: [.simulated], .oneOf(DeviceProfile.all.map(\.name)), "the client the device behaves like on the wire (default umqtt-simple)."),
        kindKey(
            "keepalive_pings", for: [.simulated, .client], .anyOf([.oneOf(["on", "off"]), .type(.boolean)]),
            "keep-alive pinging on or off (default: the profile's for a simulated device, on for a client)."
        ),
        kindKey("renewal_margin", for: [.simulated], .duration, "how long before expiry an sdk device renews its token (default 120s). " + JSONSchema.durationFormat),
        kindKey(
            "cert_file", for: [.simulated, .client], .string(),
            "the device's X.509 certificate (PEM): it connects with it instead of a SAS token; the simulated hub registers it by thumbprint, or as CA-signed when the hub's x509_ca signed it (harness cert device makes one)."
        ),
        kindKey("key_file", for: [.simulated, .client], .string(), "the private key (PEM) of cert_file."),
        kindKey(
            "transport", for: [.simulated, .client], .oneOf(DeviceSpec.Transport.allCases.map(\.rawValue)),
            "how the device's MQTT travels: mqtt (default: on TCP, or TLS as 8883 on the real hub) or websockets (wss://<host>/$iothub/websocket, 443 on the real hub; the simulated hub only)."
        ),
        // process
        kindKey("command", for: [.process], .string(minLength: 1, examples: ["python3"]), "the program (a path relative to working_directory, or a name on PATH)."),
        kindKey(
            "runtime", for: [.process], .oneOf(FirmwareRuntime.allCases.map(\.rawValue)),
            "instead of command: an interpreter the harness finds, which runs args; micropython: the MicroPython unix port ($HARNESS_MICROPYTHON, else micropython on PATH)."
        ),
        kindKey(
            "args", for: [.process], .list(of: .string()),
            "its arguments; ${HUB_HOST} and the other connection facts are filled in (write $${NAME} in the file)."
        ),
        kindKey("env", for: [.process], .map(of: .string()), "environment variables added for it."),
        kindKey("working_directory", for: [.process], .string(), "where it runs (default: the scenario file's folder)."),
        // serial
        kindKey("port", for: [.serial], .string(minLength: 1, examples: ["/dev/ttyUSB0"]), "the tty of the board."),
        kindKey("baud", for: [.serial], .anyOf([.oneOf(SerialPortSettings.supportedBaudRates), .string()]), "the baud rate (default 115200)."),
        kindKey("firmware", for: [.serial], .string(), "the MicroPython file to run on the board."),
        kindKey("config", for: [.serial], .map(of: .string()), "extra values of the firmware's config module, for example WIFI_SSID."),
        kindKey(
            "resume", for: [.serial], .flag,
            "true: run the firmware without soft-resetting the board first or between runs (mpremote's resume), for a board whose reset drops state or the MicroPython unix port's REPL (default false)."
        ),
        // process and serial
        kindKey(
            "led", for: [.process, .serial], .anyOf([.integer(minimum: 0, maximum: 255), .string(), led.schema()]),
            "the LED's GPIO, or regular expressions of the lines that say on and off."
        ),
        kindKey("ready", for: [.process, .serial], .string(), "a regular expression of the line that says the firmware is set up; connect waits for it."),
        kindKey("connected", for: [.process, .serial], .string(), "a regular expression of the line that says the firmware is connected."),
        kindKey("ca_file", for: [.process, .serial], .string(), "the hub's root certificate offered to the firmware (${CA_FILE})."),
        kindKey(
            "tap", for: [.process, .serial], .address,
            "on a plain mqtt:// broker, where the tap proxy listens (an address of this machine the device reaches; port 0 picks one)."
        ),
        // client
        kindKey(
            "will", for: [.client], will.schema(required: ["topic"]),
            "the will sent with CONNECT, published by the broker when the connection drops without DISCONNECT."
        ),
        kindKey(
            "auto_ack", for: [.client], .flag,
            "acknowledge received QoS 1 and 2 messages (default true); false leaves them in flight so the broker redelivers them with DUP."
        ),
    ])

    /// `token_service: { url, key }`.
    static let tokenService = VocabularyMapping([
        VocabularyKey("url", .string(), "http://host:port/path of the token service."),
        VocabularyKey("key", .string(), "The x-functions-key.", isSecret: true),
    ])

    /// `will: { topic, payload, qos, retain, properties }` of a client device.
    static let will = VocabularyMapping([
        VocabularyKey("topic", .string(minLength: 1), "The will topic."),
        VocabularyKey("payload", .string(), "The will message (default empty)."),
        VocabularyKey("qos", .qos, "The will QoS (default 0)."),
        VocabularyKey("retain", .flag, "The will retain flag (default false)."),
        VocabularyKey("properties", mqttProperties(.will), "MQTT 5.0: will properties (will_delay_interval, message_expiry_interval, ...)."),
    ])

    /// `led: { pin, on, off }` of a process or serial device.
    static let led = VocabularyMapping([
        VocabularyKey("pin", .anyOf([.integer(minimum: 0, maximum: 255), .string()]), "The GPIO whose writes are the LED."),
        VocabularyKey("on", .string(), "A regular expression of the line that says the LED is on."),
        VocabularyKey("off", .string(), "A regular expression of the line that says the LED is off."),
    ])

    /// The keys a device of `kind` must have one of, each with an example of its value.
    static func requiredDeviceKeys(of kind: DeviceSpec.Kind) -> [(key: String, example: String)] {
        let keys = deviceKinds.first(where: { $0.kind == kind })?.requiredKeys ?? []
        return keys.map { key in
            let value = device[key]?.value
            let firstValue = value?.enumeration.first.flatMap { literal -> String? in
                if case .string(let text) = literal { return text }
                return nil
            }
            return (key, value?.examples.first ?? firstValue ?? "...")
        }
    }

    /// A device key that only some kinds take.
    private static func kindKey(_ name: String, for kinds: [DeviceSpec.Kind], _ value: JSONSchema, _ description: String) -> VocabularyKey {
        VocabularyKey(name, value, description, forms: kinds.map(\.rawValue), formLabel: kinds.count == 1 ? "Kind" : "Kinds")
    }
}
