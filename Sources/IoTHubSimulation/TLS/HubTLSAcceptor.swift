import IoTHubSimulationCore
import NIOCore
import NIOSSL
import NIOTLS

/// Sets up TLS on one accepted hub connection: reads the client's SNI from its ClientHello,
/// picks the server context for it (``HubServerContexts``), asks for a client certificate and
/// hands whatever chain was presented to the hub unverified (the hub judges it at CONNECT, as
/// the real hub does). Remembers what a refusal's reason needs.
final class HubTLSAcceptor {
    let profile: HubTLSProfile
    /// The SNI the client sent, once its ClientHello was read.
    private(set) var serverName: String?
    /// Whether the handshake completed (errors after it are not the profile's refusals).
    var handshakeCompleted = false

    init(profile: HubTLSProfile) {
        self.profile = profile
    }

    /// Adds the SNI reader to `channel`'s pipeline; it adds the TLS handler once the
    /// ClientHello has arrived. `presented` gets the client's certificate chain (DER, leaf
    /// first) on the channel's loop, before the handshake completes.
    func install(
        on channel: any Channel,
        identity: HubServerIdentity,
        presented: @escaping ([[UInt8]]) -> Void
    ) throws {
        let pipeline = channel.pipeline.syncOperations
        var sniReader: ByteToMessageHandler<SNIHandler>?
        let reader = ByteToMessageHandler(SNIHandler { result in
            if case .hostname(let name) = result { self.serverName = name }
            let handler = NIOSSLServerHandler(
                context: identity.context(serverName: self.serverName),
                customVerificationCallback: { certificates, promise in
                    let chain = certificates.compactMap { try? $0.toDERBytes() }
                    presented(chain)
                    promise.succeed(.certificateVerified)
                }
            )
            guard let sniReader else { return channel.eventLoop.makeSucceededVoidFuture() }
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(handler, position: .after(sniReader))
            }
        })
        sniReader = reader
        try pipeline.addHandler(reader)
    }

    /// The hub's words for a TLS failure on this connection.
    func refusalReason(for error: any Error) -> String {
        profile.refusalReason(for: error, serverName: serverName)
    }
}

@available(*, unavailable)
extension HubTLSAcceptor: Sendable {}
