import Foundation
import IoTHubSimulationCore
import NIOCore
import NIOSSL

/// The hub's ready TLS server context and the CA files clients should trust.
struct HubTLSContext: Sendable {
    let context: NIOSSLContext
    /// Path of the CA certificate (PEM) that signed the server certificate, if known.
    let caCertificatePath: String?
    /// Path of the next root (``HubTLSConfiguration/preparesNextRoot``), and of the bundle of
    /// both roots.
    let nextRootCertificatePath: String?
    let rootBundlePath: String?
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
        switch configuration.identity {
        case .generated(let hostNames, let ipAddresses, let directory):
            for address in ipAddresses { _ = try HubCertificateFactory.ipAddressBytes(address) }
            let folder = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("harness-hub-\(UUID().uuidString)").path
            let authority = try directory == nil
                ? HubCertificateAuthority.make(now: now, validity: serverValidity)
                : KeptCertificateAuthority.load(in: folder, now: now, serverValidity: serverValidity)
            let server = try authority.issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: serverValidity)
            let path = (folder as NSString).appendingPathComponent("ca.pem")
            let caPEM = try authority.certificatePEM
            var nextRoot: HubCertificateAuthority?
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Data(caPEM.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
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
            do {
                chain = [try NIOSSLCertificate(bytes: Array(server.certificatePEM.utf8), format: .pem)]
                key = try NIOSSLPrivateKey(bytes: Array(server.privateKeyPEM.utf8), format: .pem)
            } catch {
                throw .setupFailed(reason: "loading the generated certificate: \(error)")
            }
            caPath = path
            issuer = HubFaultCertificateIssuer(
                authority: authority,
                nextRoot: nextRoot,
                hostNames: hostNames,
                ipAddresses: ipAddresses,
                minimumVersion: configuration.minimumVersion,
                maximumVersion: configuration.maximumVersion
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
        let context = try makeContext(chain: chain, key: key, minimumVersion: configuration.minimumVersion, maximumVersion: configuration.maximumVersion)
        return HubTLSContext(context: context, caCertificatePath: caPath, nextRootCertificatePath: nextRootPath, rootBundlePath: bundlePath, issuer: issuer)
    }

    /// A server context presenting `chain`, with the hub's TLS versions.
    static func makeContext(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey, minimumVersion: TLSVersion, maximumVersion: TLSVersion) throws(HubTLSError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = minimumVersion
        tls.maximumTLSVersion = maximumVersion
        // When the hub drops a connection it sends close_notify and closes at once, as it
        // drops connections "without a packet": it does not wait the default five seconds
        // for a client that never answers, holding the connection's memory meanwhile.
        tls.shutdownTimeout = .zero
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .setupFailed(reason: "the certificate and key do not make a TLS context (do they match?): \(error)")
        }
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
