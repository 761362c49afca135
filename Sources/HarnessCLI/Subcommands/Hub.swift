import ArgumentParser
import Foundation
import Reporting
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import NIOPosix

/// `harness hub`: runs the simulated IoT Hub on its own until Ctrl-C.
struct Hub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Run the simulated Azure IoT Hub on its own (for a real board, SDK tests or user code).",
        discussion: """
            Listens for MQTT over TLS (unless --cert and --key are given, a certificate for \
            localhost, 127.0.0.1, --host (every address of this machine for 0.0.0.0) and each \
            --cert-name is made at start, signed \
            by a CA kept next to the state file so boards keep trusting it across restarts) and \
            serves the IoT Hub service REST API \
            and a device token endpoint over HTTP on 127.0.0.1. Prints each device's connection \
            string (keys masked unless --show-keys; the state file holds them), then logs every \
            connection and packet with secrets masked. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
            """
    )

    @Option(name: .customLong("device"), help: "A device to register, as id or id:base64key (repeatable; a random key when none is given).")
    var devices: [DeviceArgument] = []

    @Option(name: .customLong("devices-file"), help: "A file with one id or id:key per line (# comments).")
    var devicesFile: String?

    @Option(help: "The hub's host name, used in user names, tokens and connection strings.")
    var hostname = "simulated.azure-devices.net"

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The TLS port (0 picks a free one). The Python SDK always dials 8883.")
    var port = 8883

    @Option(name: .customLong("plain-port"), help: "Also listen for plain TCP on this port (off by default, as on the real hub).")
    var plainPort: Int?

    @Option(
        name: .customLong("websocket-port"),
        help: "The MQTT-over-WebSockets port (wss://<host>/$iothub/websocket, with the TLS listener's certificate and profile; 0 picks a free one). Default: 443 when --port is 8883, as on the real hub (the Python SDK's websockets=True always dials 443), else a free port."
    )
    var webSocketPort: Int?

    @Option(help: "Server certificate (PEM) instead of the generated one; needs --key.")
    var cert: String?

    @Option(help: "Private key (PEM) of --cert.")
    var key: String?

    @Option(help: "CA certificate (PEM) that signed --cert, reported to clients.")
    var ca: String?

    @Option(
        name: .customLong("cert-name"),
        help: "Another name the generated server certificate is for: a DNS name or an IP address, such as the address a board on the bench dials (repeatable). localhost, 127.0.0.1 and --host are always in it (with --host 0.0.0.0, every address of this machine)."
    )
    var certNames: [String] = []

    @Option(
        name: .customLong("tls-profile"),
        help: "What the hub's TLS accepts: strict (default; the real hub's since August 2025: TLS 1.2 with ECDHE suites or 1.3, TLS 1.3 only with SNI) or legacy (also TLS 1.0/1.1 and RSA key exchange, for boards such as axTLS ESP8266)."
    )
    var tlsProfile = HubTLSProfile.strict.rawValue

    @Option(
        name: .customLong("x509-device"),
        help: "A self-signed X.509 device, as id:THUMBPRINT or id:PRIMARY,SECONDARY (SHA-1 or SHA-256 hex; harness cert thumbprint prints them) (repeatable)."
    )
    var x509Devices: [String] = []

    @Option(name: .customLong("x509-ca-device"), help: "A CA-signed X.509 device id: its certificate's common name, chaining to an --x509-ca (repeatable).")
    var x509CADevices: [String] = []

    @Option(name: .customLong("x509-ca"), help: "A CA certificate (PEM) registered and verified on the hub for CA-signed devices (repeatable; harness cert ca makes one).")
    var x509CAs: [String] = []

    @Option(
        name: .customLong("dps-scope"),
        help: "Run a Device Provisioning Service with this ID scope on the hub's MQTT listener (same host and port; the SDKs dial the provisioning host on 8883)."
    )
    var dpsScope: String?

    @Option(name: .customLong("dps-enrollment"), help: "An individual symmetric-key enrollment, as registrationId:base64key (repeatable; needs --dps-scope).")
    var dpsEnrollments: [String] = []

    @Option(
        name: .customLong("dps-group"),
        help: "A symmetric-key enrollment group, as name:base64key; each device signs with HMAC-SHA256(group key, registration id) (repeatable; needs --dps-scope)."
    )
    var dpsGroups: [String] = []

    @Option(
        name: .customLong("dps-x509-enrollment"),
        help: "An individual X.509 enrollment, as registrationId:THUMBPRINT[,SECONDARY] (the certificate's common name is the registration id; repeatable; needs --dps-scope)."
    )
    var dpsX509Enrollments: [String] = []

    @Option(
        name: .customLong("dps-x509-group"),
        help: "An X.509 enrollment group, as name:CA.pem: devices whose certificate that CA signed, named for their registration id (repeatable; needs --dps-scope)."
    )
    var dpsX509Groups: [String] = []

    @Option(name: .customLong("service-port"), help: "The port of the service REST API on 127.0.0.1 (0 picks a free one).")
    var servicePort = 0

    @Option(name: .customLong("token-service-key"), help: "The token endpoint's x-functions-key (random and printed when absent).")
    var tokenServiceKey: String?

    @Option(name: .customLong("state-file"), help: "Where to write the state file `harness send` reads (default: per user, under $XDG_RUNTIME_DIR or $TMPDIR).")
    var stateFile: String?

    @Option(
        name: .customLong("token-skew"),
        parsing: .unconditional,
        help: "How long past its expiry (se) a SAS token is still accepted at CONNECT and by the service API (whole seconds, as 300s or 5m)."
    )
    var tokenSkew = DurationArgument(duration: TokenExpiryPolicy.realHub.clockSkew)

    @Option(
        name: .customLong("token-grace"),
        parsing: .unconditional,
        help: "How long past its token's expiry (se) a live connection stays open before the hub drops it (at least --token-skew)."
    )
    var tokenGrace = DurationArgument(duration: TokenExpiryPolicy.realHub.grace)

    @Option(
        name: .customLong("throttle-connack"),
        help: "The CONNACK a CONNECT gets while the hub throttles (a throttle fault, or InvokeThrottling): 5 (not authorized, default) or 3 (server unavailable). The real hub's choice is unconfirmed."
    )
    var throttleConnAck: Int = 5

    @Flag(name: .customLong("show-keys"), help: "Print connection strings with their keys (they are always in the state file).")
    var showKeys = false

    @Flag(help: "Log connections and service requests, but not every packet.")
    var quiet = false

    @Flag(help: "Log nothing after the start-up banner (for benchmarks).")
    var silent = false

    func validate() throws {
        for (name, port) in [("--port", Optional(port)), ("--plain-port", plainPort), ("--websocket-port", webSocketPort), ("--service-port", Optional(servicePort))] {
            if let port, !(0...65535).contains(port) { throw ValidationError("\(name) must be 0 to 65535") }
        }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        if ca != nil, cert == nil { throw ValidationError("--ca needs --cert and --key") }
        for (name, path) in [("--cert", cert), ("--key", key), ("--ca", ca), ("--devices-file", devicesFile)] {
            if let path, !FileManager.default.fileExists(atPath: path) { throw ValidationError("\(name): no such file: \(path)") }
        }
        if let tokenServiceKey, tokenServiceKey.count < 8 { throw ValidationError("--token-service-key must have at least 8 characters") }
        if hostname.isEmpty || hostname.contains("/") { throw ValidationError("--hostname must be a host name such as myhub.azure-devices.net") }
        if !certNames.isEmpty, cert != nil { throw ValidationError("--cert-name names go into the generated certificate; with --cert, put them in your own certificate") }
        for name in certNames where !CertificateNames.isIPAddress(name) && !CertificateNames.isDNSName(name) {
            throw ValidationError("--cert-name '\(name)' is neither an IP address nor a DNS name (letters, digits and '-' in dot-separated labels, optionally '*.' first)")
        }
        _ = try tokenExpiryPolicy()
        if HubTLSProfile(rawValue: tlsProfile) == nil {
            throw ValidationError("--tls-profile '\(tlsProfile)' is not a TLS profile; the profiles are \(HubTLSProfile.allCases.map(\.rawValue).joined(separator: " and "))")
        }
        if !x509CADevices.isEmpty, x509CAs.isEmpty { throw ValidationError("--x509-ca-device needs an --x509-ca the devices' certificates chain to") }
        if throttleConnAck != 3 && throttleConnAck != 5 { throw ValidationError("--throttle-connack must be 3 (server unavailable) or 5 (not authorized)") }
    }

    /// The token expiry policy of --token-skew and --token-grace.
    func tokenExpiryPolicy() throws(ValidationError) -> TokenExpiryPolicy {
        do {
            return try TokenExpiryPolicy(clockSkew: tokenSkew.duration, grace: tokenGrace.duration)
        } catch {
            throw ValidationError("--token-skew/--token-grace: \(error)")
        }
    }

    /// The settings these flags ask for.
    func makeSettings() throws -> HubSession.Settings {
        var all = devices
        if let devicesFile { all += try DeviceArgument.readFile(devicesFile) }
        let x509 = try x509Devices.map { text throws(InvalidInput) in try X509DeviceArgument.parseSelfSigned(text) }
            + x509CADevices.map { text throws(InvalidInput) in try X509DeviceArgument.parseCASigned(text) }
        var seen = Set<DeviceID>()
        for id in all.map(\.id) + x509.map(\.id) where !seen.insert(id).inserted {
            throw InvalidInput(description: "error: device '\(id)' is given twice")
        }
        var authorities: [RegisteredCertificateAuthority] = []
        for path in x509CAs {
            do {
                authorities.append(try CertificateFiles.certificateAuthority(at: path))
            } catch {
                throw InvalidInput(description: "error: --x509-ca \(error)")
            }
        }
        var settings = HubSession.Settings(
            hostName: hostname,
            devices: all,
            tokenServiceKey: tokenServiceKey ?? Self.randomKey(),
            stateFilePath: stateFile ?? HubStateFile.defaultPath()
        )
        settings.x509Devices = x509
        settings.provisioning = try ProvisioningArguments(
            scope: dpsScope,
            enrollments: dpsEnrollments,
            groups: dpsGroups,
            x509Enrollments: dpsX509Enrollments,
            x509Groups: dpsX509Groups
        )
            .configuration(devices: all, certificateDevices: x509.map(\.id))
        settings.certificateAuthorities = authorities
        settings.bindHost = host
        settings.tlsPort = port
        settings.plainPort = plainPort
        settings.webSocketPort = webSocketPort ?? (port == 8883 ? HubListeners.standardWebSocketPort : 0)
        settings.servicePort = servicePort
        settings.tokenExpiry = try tokenExpiryPolicy()
        settings.throttledConnectRefusal = throttleConnAck == 3 ? .serverUnavailable : .notAuthorized
        let profile = try HubTLSProfile(named: tlsProfile)
        if let cert, let key {
            settings.tls = HubTLSConfiguration(identity: .pemFiles(certificate: cert, privateKey: key, certificateAuthority: ca), profile: profile)
        } else if let path = settings.stateFilePath {
            // The generated CA goes next to the state file, so its path stays the same across runs.
            // A CA key beside it too, so the CA (and a board's trust in it) survives restarts.
            let names = CertificateNames(extra: certNames, listeningOn: host, interfaceAddresses: CertificateNames.localInterfaceAddresses())
            settings.tls = HubTLSConfiguration(identity: .generated(hostNames: names.dnsNames, ipAddresses: names.ipAddresses, directory: (path as NSString).deletingLastPathComponent), profile: profile)
        } else {
            settings.tls.profile = profile
        }
        return settings
    }

    static func randomKey() -> String {
        DeviceKey.random().base64.filter { $0.isLetter || $0.isNumber }
    }

    func run() async throws {
        let settings = try makeSettings()
        let signals = TerminationSignals()
        let log = HubLog(showsPackets: !quiet, showsEvents: !silent) { line in
            FileHandle.standardOutput.show(line + "\n")
        }
        let session: HubSession
        do {
            session = try await HubSession.start(settings, group: MultiThreadedEventLoopGroup.singleton, log: log)
        } catch let error as InvalidInput {
            throw error
        } catch {
            throw InvalidInput(description: "error: the hub could not start: \(error)")
        }
        // The banner's connection strings are masked already (unless --show-keys), so it is
        // printed as is: scanning each line for every device key costs O(devices^2).
        FileHandle.standardOutput.show(session.banner(showKeys: showKeys).joined(separator: "\n") + "\n")
        log.print("Press Ctrl-C to stop.")
        let signal = await signals.wait()
        log.print("harness hub: \(signal), stopping")
        await session.stop()
    }

}

/// SIGINT and SIGTERM, caught from creation on (before the hub starts, so an early Ctrl-C
/// still stops it cleanly).
final class TerminationSignals {
    private let stream: AsyncStream<String>
    private var sources: [any DispatchSourceSignal] = []

    init() {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        self.stream = stream
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
    }

    /// Waits for the first signal.
    /// - Returns: its name.
    func wait() async -> String {
        var iterator = stream.makeAsyncIterator()
        let name = await iterator.next() ?? "end of signals"
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM] { signal(number, SIG_DFL) }
        return name
    }
}
