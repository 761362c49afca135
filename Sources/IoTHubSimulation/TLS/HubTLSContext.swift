import Foundation
import IoTHubSimulationCore
import NIOCore
import NIOSSL

/// The server contexts of one certificate chain under a profile: one for clients that sent SNI
/// and one for those that did not (the strict profile gives them TLS 1.2 at most, as the real
/// hub needs SNI for TLS 1.3).
struct HubServerContexts: Sendable {
    let withServerName: NIOSSLContext
    let withoutServerName: NIOSSLContext

    /// The context for a client that sent `serverName` (nil: no SNI).
    func context(serverName: String?) -> NIOSSLContext {
        serverName == nil ? withoutServerName : withServerName
    }
}

/// The hub's ready TLS server contexts and the CA files clients should trust.
struct HubTLSContext: Sendable {
    let contexts: HubServerContexts
    let profile: HubTLSProfile
    /// Path of the CA certificate (PEM) that signed the server certificate, if known.
    let caCertificatePath: String?
    /// Path of the next root (``HubTLSConfiguration/preparesNextRoot``), and of the bundle of
    /// both roots.
    let nextRootCertificatePath: String?
    let rootBundlePath: String?
    /// Path of the intermediate CA (PEM) the generated chain carries, if any.
    let intermediateCertificatePath: String?
    /// What certificate faults need to issue other certificates: only with a generated
    /// identity, whose CA key the hub holds.
    let issuer: HubFaultCertificateIssuer?

    /// Builds the context: makes certificates (writing the CA file) or loads the user's PEM
    /// files.
    /// - Parameter now: real wall-clock time, for the generated certificates' validity.
    static func make(_ configuration: HubTLSConfiguration, now: Date) throws(HubTLSError) -> HubTLSContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let caPath: String?
        var nextRootPath: String?
        var bundlePath: String?
        var issuer: HubFaultCertificateIssuer?
        var intermediatePath: String?
        switch configuration.identity {
        case .generated(let hostNames, let ipAddresses, let directory):
            for address in ipAddresses { _ = try HubCertificateFactory.ipAddressBytes(address) }
            let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("harness-hub-\(UUID().uuidString)").path
            let root = try directory == nil
                ? HubCertificateAuthority.make(now: now, validity: serverValidity)
                : KeptCertificateAuthority.load(in: folder, now: now, serverValidity: serverValidity)
            let signer = try HubSigningChain(root: root, now: now, validity: serverValidity)
            let server = try signer.issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: serverValidity)
            let path = (folder as NSString).appendingPathComponent("ca.pem")
            let caPEM = try root.certificatePEM
            var nextRoot: HubCertificateAuthority?
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Data(caPEM.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                if let intermediate = signer.intermediate {
                    let intermediateFile = (folder as NSString).appendingPathComponent("intermediate.pem")
                    try Data(try intermediate.certificatePEM.utf8).write(to: URL(fileURLWithPath: intermediateFile), options: .atomic)
                    intermediatePath = intermediateFile
                }
                if configuration.preparesNextRoot {
                    let next = try HubCertificateAuthority.make(now: now, validity: serverValidity, commonName: "harness simulated IoT Hub next root CA")
                    let nextPEM = try next.certificatePEM
                    let nextPath = (folder as NSString).appendingPathComponent("ca-next.pem")
                    let bundle = (folder as NSString).appendingPathComponent("ca-bundle.pem")
                    try Data(nextPEM.utf8).write(to: URL(fileURLWithPath: nextPath), options: .atomic)
                    try Data((caPEM + (caPEM.hasSuffix("\n") ? "" : "\n") + nextPEM + (nextPEM.hasSuffix("\n") ? "" : "\n")).utf8).write(to: URL(fileURLWithPath: bundle), options: .atomic)
                    nextRoot = next
                    nextRootPath = nextPath
                    bundlePath = bundle
                }
            } catch let error as HubTLSError {
                throw error
            } catch {
                throw .unreadableFile(path: path, reason: "cannot write the CA certificate: \(error.localizedDescription)")
            }
            let loaded = try loadIssued(server)
            chain = loaded.0
            key = loaded.1
            caPath = path
            issuer = HubFaultCertificateIssuer(
                signer: signer,
                nextRoot: nextRoot,
                hostNames: hostNames,
                ipAddresses: ipAddresses,
                profile: configuration.profile
            )
        case .pemFiles(let certificatePath, let keyPath, let caFile):
            let certificateBytes = try read(certificatePath)
            do {
                chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
            } catch {
                throw .invalidPEM(path: certificatePath, reason: "no PEM certificate could be read (\(error))")
            }
            guard !chain.isEmpty else { throw .invalidPEM(path: certificatePath, reason: "it holds no certificate") }
            let keyBytes = try read(keyPath)
            do {
                key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
            } catch {
                throw .invalidPEM(path: keyPath, reason: "no PEM private key could be read")
            }
            if let caFile {
                let caBytes = try read(caFile)
                do {
                    guard try !NIOSSLCertificate.fromPEMBytes(caBytes).isEmpty else {
                        throw HubTLSError.invalidPEM(path: caFile, reason: "it holds no certificate")
                    }
                } catch {
                    throw .invalidPEM(path: caFile, reason: "no PEM certificate could be read")
                }
            }
            caPath = caFile
        }
        let contexts = try makeContexts(chain: chain, key: key, profile: configuration.profile)
        return HubTLSContext(
            contexts: contexts,
            profile: configuration.profile,
            caCertificatePath: caPath,
            nextRootCertificatePath: nextRootPath,
            rootBundlePath: bundlePath,
            intermediateCertificatePath: intermediatePath,
            issuer: issuer
        )
    }

    /// The chain and key of an issued certificate (leaf first), as NIOSSL takes them.
    static func loadIssued(_ issued: (certificatePEM: String, privateKeyPEM: String)) throws(HubTLSError) -> ([NIOSSLCertificate], NIOSSLPrivateKey) {
        do {
            return (
                try NIOSSLCertificate.fromPEMBytes(Array(issued.certificatePEM.utf8)),
                try NIOSSLPrivateKey(bytes: Array(issued.privateKeyPEM.utf8), format: .pem)
            )
        } catch {
            throw .setupFailed(reason: "loading the generated certificate: \(error)")
        }
    }

    /// The server contexts presenting `chain` under `profile`.
    static func makeContexts(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, profile: HubTLSProfile) throws(HubTLSError) -> HubServerContexts {
        let withName = try makeContext(chain: chain, key: key, profile: profile, maximumVersion: profile.maximumVersion(serverName: "sni"))
        let withoutMaximum = profile.maximumVersion(serverName: nil)
        guard withoutMaximum != profile.maximumVersion(serverName: "sni") else {
            return HubServerContexts(withServerName: withName, withoutServerName: withName)
        }
        let without = try makeContext(chain: chain, key: key, profile: profile, maximumVersion: withoutMaximum)
        return HubServerContexts(withServerName: withName, withoutServerName: without)
    }

    /// A server context presenting `chain`, with the profile's versions and suites. It asks the
    /// client for a certificate without requiring one (the hub's verification callback takes
    /// whatever is presented; the hub judges it at CONNECT).
    private static func makeContext(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, profile: HubTLSProfile, maximumVersion: TLSVersion) throws(HubTLSError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = profile.minimumVersion
        tls.maximumTLSVersion = maximumVersion
        tls.cipherSuites = profile.cipherSuites.joined(separator: ":")
        tls.certificateVerification = .optionalVerification
        // Client certificates are judged by the acceptor's own verification callback, never by
        // trust roots: none are loaded, so a start does not read (or depend on) the system's
        // CA bundle, which failed a start once while the bundle was being rewritten.
        tls.trustRoots = .certificates([])
        // When the hub drops a connection it sends close_notify and closes at once, as it
        // drops connections "without a packet": it does not wait the default five seconds
        // for a client that never answers, holding the connection's memory meanwhile.
        tls.shutdownTimeout = .zero
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .setupFailed(reason: "the certificate and key do not make a TLS context (do they match?): \(Self.plainReason(error))")
        }
    }

    /// BoringSSL's reasons alone (`BAD_BASE64_DECODE`, `KEY_VALUES_MISMATCH`), without the
    /// library's error type, codes and source paths.
    static func plainReason(_ error: any Error) -> String {
        let reasons = "\(error)".components(separatedBy: "OPENSSL_internal:").dropFirst().compactMap { part in
            part.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "]" }).first.map(String.init)
        }
        return reasons.isEmpty ? "the TLS library refused them" : reasons.joined(separator: ", ")
    }

    /// How long a generated server certificate is valid (a new one is issued at every start).
    static let serverValidity: TimeInterval = 30 * 24 * 3600

    static func read(_ path: String) throws(HubTLSError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadableFile(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return Array(data)
    }
}
