import Foundation
import Synchronization
import _CryptoExtras

/// The RSA-2048 key of the hub's server certificates, made once per process: RSA key
/// generation takes a good part of a second (seconds in a debug build), and every hub start,
/// certificate fault and test would otherwise pay it, on the threads other work needs. Each
/// certificate is still new; only its key is shared, within this process alone.
enum ServerKey {
    private static let key = Mutex<[UInt8]?>(nil)

    /// Makes the key, if not made yet, on a thread of its own: callers on Swift's cooperative
    /// threads (a hub starting) then never block them for the generation.
    static func prepare() async {
        if key.withLock({ $0 != nil }) { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                _ = try? shared()
                done.resume()
            }
        }
    }

    /// The process's server key, made on first use.
    static func shared() throws(HubTLSError) -> _RSA.Signing.PrivateKey {
        do {
            return try key.withLock { stored in
                if let stored { return try _RSA.Signing.PrivateKey(derRepresentation: stored) }
                let made = try _RSA.Signing.PrivateKey(keySize: .bits2048)
                stored = Array(made.derRepresentation)
                return made
            }
        } catch {
            throw .setupFailed(reason: "making the server's RSA key: \(error)")
        }
    }
}
