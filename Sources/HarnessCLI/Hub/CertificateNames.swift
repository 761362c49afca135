import Foundation
import IoTHubSimulation
import IoTHubSimulationCore
import NIOCore

/// The names `harness hub`'s generated server certificate is for: always `localhost` and
/// `127.0.0.1`, the listening address when it is a specific one, and every `--cert-name`,
/// sorted into DNS names and IP addresses, without repeats.
struct CertificateNames: Equatable {
    private(set) var dnsNames = ["localhost"]
    private(set) var ipAddresses = ["127.0.0.1"]

    /// - Parameters:
    ///   - host: the `--host` the hub listens on. A wildcard (`0.0.0.0`, `::`) means every
    ///     interface, so each of `interfaceAddresses` goes in: a board on the bench dials one
    ///     of them.
    ///   - interfaceAddresses: this machine's addresses (``localInterfaceAddresses()``).
    init(extra: [String], listeningOn host: String, interfaceAddresses: [String] = []) {
        let wildcardAddresses: Set<String> = ["0.0.0.0", "::", "[::]"]
        let listening: [String]
        if wildcardAddresses.contains(host) {
            listening = interfaceAddresses
        } else {
            // A listening address that is neither (a typo) is left to the bind to report.
            listening = Self.isIPAddress(host) || Self.isDNSName(host) ? [host] : []
        }
        for name in listening + extra {
            if Self.isIPAddress(name) {
                if !ipAddresses.contains(name) { ipAddresses.append(name) }
            } else if !dnsNames.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                dnsNames.append(name)
            }
        }
    }

    /// Whether `text` is a dotted IPv4 or an IPv6 address.
    static func isIPAddress(_ text: String) -> Bool { HubCertificateFactory.isIPAddress(text) }

    /// Whether `text` is a DNS name a certificate may carry: dot-separated labels of letters,
    /// digits and inner hyphens, at most 63 characters each and 253 in all, optionally `*.`
    /// first.
    static func isDNSName(_ text: String) -> Bool {
        let name = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
            return label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
    }

    /// This machine's IPv4 and IPv6 addresses, without link-local IPv6 ones (a board cannot
    /// dial those without a zone). Empty when the interfaces cannot be read.
    static func localInterfaceAddresses() -> [String] {
        let devices = (try? System.enumerateDevices()) ?? []
        var addresses: [String] = []
        for device in devices {
            guard let address = device.address?.ipAddress, !address.lowercased().hasPrefix("fe80"), !addresses.contains(address) else { continue }
            addresses.append(address)
        }
        return addresses
    }
}
