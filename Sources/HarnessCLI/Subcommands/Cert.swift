import ArgumentParser
import Foundation
import IoTHubCore
import IoTHubSimulation
#if canImport(Glibc)
import Glibc
#endif

/// `harness cert`: test certificates for X.509 devices, made with swift-certificates.
struct Cert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make test certificates for X.509 devices, and print thumbprints.",
        discussion: """
            harness cert ca makes a CA to register on the hub (harness hub --x509-ca) for \
            CA-signed devices; harness cert device makes a device certificate whose common name \
            is the device id, signed by such a CA or self-signed (register its thumbprint with \
            harness hub --x509-device); harness cert thumbprint prints a certificate's SHA-1 and \
            SHA-256 thumbprints. Keys are P-256, written with owner-only access; no file is \
            overwritten.
            """,
        subcommands: [CertCA.self, CertDevice.self, CertThumbprint.self]
    )

    /// Writes `text` to a new file at `path`, readable by the owner alone when `secret`.
    /// - Throws: ``InvalidInput`` naming the file when it exists or cannot be written.
    static func write(_ text: String, to path: String, secret: Bool) throws {
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, secret ? 0o600 : 0o644)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it exists already; harness cert never overwrites a file" : String(cString: strerror(errno))
            throw InvalidInput(description: "error: \(path): \(reason)")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress.map { $0 + written }, bytes.count - written) }
            guard result > 0 else { throw InvalidInput(description: "error: \(path): \(String(cString: strerror(errno)))") }
            written += result
        }
    }

    /// `folder/name`, the folder made when missing.
    static func path(_ name: String, in folder: String) throws -> String {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw InvalidInput(description: "error: --out \(folder): cannot create the folder")
        }
        return (folder as NSString).appendingPathComponent(name)
    }

    /// A certificate's thumbprints, as printed.
    static func thumbprintLines(of certificatePath: String) throws -> [String] {
        let certificate: X509Certificate
        do {
            certificate = try CertificateFiles.certificate(at: certificatePath)
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let (sha1, sha256) = CertificateFiles.thumbprints(of: certificate)
        return ["SHA-1 thumbprint:   \(sha1)", "SHA-256 thumbprint: \(sha256)"]
    }
}

/// `harness cert ca`.
struct CertCA: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ca", abstract: "Make a test CA for CA-signed devices (device-ca.pem and device-ca-key.pem; the hub's own server CA is ca.pem).")

    @Option(help: "The CA's common name.")
    var name = "harness test device CA"

    @Option(help: "The folder to write device-ca.pem and device-ca-key.pem into.")
    var out = "."

    @Option(help: "How many days it is valid.")
    var days = 365

    func validate() throws {
        if days < 1 { throw ValidationError("--days must be at least 1") }
        if name.isEmpty { throw ValidationError("--name must not be empty") }
    }

    func run() throws {
        let issued: DeviceCertificateFactory.Issued
        do {
            issued = try DeviceCertificateFactory.makeCertificateAuthority(commonName: name, now: Date(), validity: TimeInterval(days) * 86400)
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let certificatePath = try Cert.path("device-ca.pem", in: out)
        let keyPath = try Cert.path("device-ca-key.pem", in: out)
        try Cert.write(issued.privateKeyPEM, to: keyPath, secret: true)
        try Cert.write(issued.certificatePEM, to: certificatePath, secret: false)
        print("CA certificate: \(certificatePath)")
        print("CA key:         \(keyPath) (secret)")
        print("Register it:    harness hub --x509-ca \(certificatePath) --x509-ca-device DEVICE_ID")
        print("Sign a device:  harness cert device --id DEVICE_ID --ca \(certificatePath) --ca-key \(keyPath)")
    }
}

/// `harness cert device`.
struct CertDevice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device",
        abstract: "Make a device certificate (ID.pem and ID-key.pem) signed by a CA, or self-signed."
    )

    @Option(help: "The device id: the certificate's common name.")
    var id: String

    @Option(help: "The CA certificate (PEM) to sign with; self-signed when absent. Needs --ca-key.")
    var ca: String?

    @Option(name: .customLong("ca-key"), help: "The CA's private key (PEM).")
    var caKey: String?

    @Option(help: "The folder to write the certificate and key into.")
    var out = "."

    @Option(help: "How many days it is valid.")
    var days = 365

    func validate() throws {
        if days < 1 { throw ValidationError("--days must be at least 1") }
        if (ca == nil) != (caKey == nil) { throw ValidationError("--ca and --ca-key go together") }
    }

    func run() throws {
        let deviceID: DeviceID
        do {
            deviceID = try DeviceID(id)
        } catch {
            throw InvalidInput(description: "error: --id: \(error)")
        }
        var issuer: (certificate: X509Certificate, key: X509PrivateKey)?
        if let ca, let caKey {
            do {
                issuer = try CertificateFiles.matchingPair(certificate: ca, key: caKey)
                _ = try CertificateFiles.certificateAuthority(at: ca)
            } catch {
                throw InvalidInput(description: "error: \(error)")
            }
        }
        let issued: DeviceCertificateFactory.Issued
        do {
            issued = try DeviceCertificateFactory.makeDeviceCertificate(deviceID: deviceID, issuer: issuer, now: Date(), validity: TimeInterval(days) * 86400)
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let safeName = deviceID.string.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_" ? String($0) : "_" }.joined()
        let certificatePath = try Cert.path("\(safeName).pem", in: out)
        let keyPath = try Cert.path("\(safeName)-key.pem", in: out)
        try Cert.write(issued.privateKeyPEM, to: keyPath, secret: true)
        try Cert.write(issued.certificatePEM, to: certificatePath, secret: false)
        print("device certificate: \(certificatePath) (CN=\(deviceID))")
        print("device key:         \(keyPath) (secret)")
        let (sha1, sha256) = CertificateFiles.thumbprints(of: issued.certificate)
        print("SHA-1 thumbprint:   \(sha1)")
        print("SHA-256 thumbprint: \(sha256)")
        if let ca {
            print("Register it:        harness hub --x509-ca \(ca) --x509-ca-device \(deviceID)")
        } else {
            print("Register it:        harness hub --x509-device \(deviceID):\(sha1)")
        }
    }
}

/// `harness cert thumbprint`.
struct CertThumbprint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "thumbprint", abstract: "Print a certificate's SHA-1 and SHA-256 thumbprints.")

    @Argument(help: "The certificate (PEM).")
    var file: String

    func run() throws {
        for line in try Cert.thumbprintLines(of: file) { print(line) }
    }
}
