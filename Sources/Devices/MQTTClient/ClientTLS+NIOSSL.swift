import NIOCore
import NIOSSL

extension ClientTLS {
    /// A TLS client context for these settings (TLS 1.2 and 1.3).
    /// - Throws: NIOSSL's error for unreadable PEM files.
    public func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .file(caFile) }
        if let certificateFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// Adds the TLS client handler in front of `channel`'s pipeline.
    public func addHandler(to channel: any Channel, context: NIOSSLContext, host: String) throws {
        let name = serverName ?? (host.first?.isNumber == true ? nil : host)
        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
    }
}
