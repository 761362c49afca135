import Foundation
import IoTHubSimulationCore
#if canImport(Glibc)
import Glibc
#endif

/// The CA `harness hub` keeps in its folder, so that a board which holds the CA certificate
/// goes on trusting the hub across restarts.
///
/// One file, `ca-key.pem`, holds the CA's private key and then its certificate; it is the
/// owner's alone (mode 0600, written under a temporary name and renamed, so it is never
/// readable by others nor half written). `ca.pem`, the certificate clients trust, is written
/// from it at every start, so the two never disagree.
enum KeptCertificateAuthority {
    /// How long a kept CA is valid.
    static let validity: TimeInterval = 5 * 365 * 24 * 3600
    static let fileName = "ca-key.pem"

    /// The CA kept in `folder`; a new one is made and kept when there is none, or when it ends
    /// within `serverValidity` (its server certificates would outlive it).
    /// - Throws: ``HubTLSError`` naming the file when it is damaged, not the user's, or
    ///   readable by others: a CA that boards may hold is never replaced silently.
    static func load(in folder: String, now: Date, serverValidity: TimeInterval) throws(HubTLSError) -> HubCertificateAuthority {
        let path = (folder as NSString).appendingPathComponent(fileName)
        if FileManager.default.fileExists(atPath: path) {
            try checkPrivate(path)
            let text = String(decoding: try HubTLSContext.read(path), as: UTF8.self)
            guard let marker = text.range(of: "-----BEGIN CERTIFICATE-----") else {
                throw .invalidPEM(path: path, reason: "it holds no CA certificate after the key; delete it to make a new CA")
            }
            let authority = try HubCertificateAuthority(
                certificatePEM: String(text[marker.lowerBound...]),
                privateKeyPEM: String(text[..<marker.lowerBound]),
                path: path
            )
            if authority.isValid(at: now, for: serverValidity) { return authority }
        }
        let authority = try HubCertificateAuthority.make(now: now, validity: validity)
        try writePrivately(try authority.privateKeyPEM + (try authority.certificatePEM), to: path, folder: folder)
        return authority
    }

    /// The file must be the user's and closed to everyone else: it holds a CA key.
    private static func checkPrivate(_ path: String) throws(HubTLSError) {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
        guard let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value, owner == getuid() else {
            throw .invalidPEM(path: path, reason: "it belongs to another user; a CA key must be yours alone")
        }
        guard let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 == 0 else {
            throw .invalidPEM(path: path, reason: "others may read or write it; a CA key must be yours alone (chmod 600)")
        }
    }

    /// Writes `text` to `path` with mode 0600 from the first byte: under a temporary name
    /// created exclusively, then renamed over `path`. The folder is made 0700 when missing.
    private static func writePrivately(_ text: String, to path: String, folder: String) throws(HubTLSError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .unreadableFile(path: folder, reason: "cannot create the folder: \(error.localizedDescription)")
        }
        let temporary = "\(path).\(UUID().uuidString).tmp"
        let descriptor = open(temporary, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .unreadableFile(path: path, reason: "cannot write the CA key: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress.map { $0 + written }, bytes.count - written)
            }
            guard result > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw .unreadableFile(path: path, reason: "cannot write the CA key: \(reason)")
            }
            written += result
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .unreadableFile(path: path, reason: "cannot write the CA key: \(reason)")
        }
    }
}
