import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The names `harness hub`'s generated server certificate is for: always `localhost` and
/// `127.0.0.1`, the listening address when it is a specific one, and every `--cert-name`,
/// sorted into DNS names and IP addresses, without repeats.
struct CertificateNames: Equatable {
    private(set) var dnsNames = ["localhost"]
    private(set) var ipAddresses = ["127.0.0.1"]

    init(extra: [String], listeningOn host: String) {
        let wildcardAddresses: Set<String> = ["0.0.0.0", "::", "[::]"]
        // A listening address that is neither (a typo) is left to the bind to report.
        let listening = wildcardAddresses.contains(host) || !(Self.isIPAddress(host) || Self.isDNSName(host)) ? [] : [host]
        for name in listening + extra {
            if Self.isIPAddress(name) {
                if !ipAddresses.contains(name) { ipAddresses.append(name) }
            } else if !dnsNames.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
                dnsNames.append(name)
            }
        }
    }

    /// Whether `text` is a dotted IPv4 or an IPv6 address.
    static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

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
}
