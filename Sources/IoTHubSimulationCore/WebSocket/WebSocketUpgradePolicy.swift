/// The hub's decision on an HTTP request to its WebSocket listener: upgrade to MQTT over
/// WebSockets, or refuse with an HTTP status and a reason. Pure: it sees the request line and
/// headers, nothing else.
public enum WebSocketUpgradeDecision: Sendable, Hashable {
    /// Upgrade, answering with this subprotocol.
    case upgrade(subprotocol: String)
    /// Answer with this HTTP status and reason, then close.
    case refuse(status: Int, reason: String)
}

/// Which requests the hub's WebSocket listener upgrades: only `GET` on `path`, a WebSocket
/// (version 13) upgrade with a key, offering `subprotocol` in `Sec-WebSocket-Protocol`.
public struct WebSocketUpgradePolicy: Sendable, Hashable {
    /// The resource served, `/$iothub/websocket` on the hub.
    public var path: String
    /// The subprotocol required and answered, `mqtt` on the hub.
    public var subprotocol: String

    public init(path: String, subprotocol: String) {
        self.path = path
        self.subprotocol = subprotocol
    }

    /// Decides on one request.
    /// - Parameters:
    ///   - method: the request method, as sent.
    ///   - uri: the request target, as sent (a query string is allowed).
    ///   - headers: the request's headers, names in any case, in the order sent.
    public func decide(method: String, uri: String, headers: [(name: String, value: String)]) -> WebSocketUpgradeDecision {
        let target = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard target == path else {
            // The request target is the peer's text: cut to a length a report line can hold.
            let shown = uri.count > 100 ? uri.prefix(100) + "..." : Substring(uri)
            return .refuse(status: 404, reason: "nothing is served at \(shown); MQTT over WebSockets is at \(path)")
        }
        guard method == "GET" else {
            return .refuse(status: 405, reason: "\(method) is not allowed on \(path); a WebSocket upgrade is a GET")
        }
        func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name }
                .flatMap { $0.value.split(separator: ",") }
                .map { $0.trimmingCharacters(in: " \t") }
        }
        guard values("upgrade").contains(where: { $0.lowercased() == "websocket" }) else {
            return .refuse(status: 400, reason: "\(path) needs a WebSocket upgrade (Upgrade: websocket)")
        }
        guard values("connection").contains(where: { $0.lowercased() == "upgrade" }) else {
            return .refuse(status: 400, reason: "a WebSocket upgrade needs Connection: upgrade")
        }
        guard values("sec-websocket-version") == ["13"] else {
            return .refuse(status: 400, reason: "only WebSocket version 13 is supported (Sec-WebSocket-Version: 13)")
        }
        guard values("sec-websocket-key").count == 1 else {
            return .refuse(status: 400, reason: "a WebSocket upgrade needs one Sec-WebSocket-Key")
        }
        let offered = values("sec-websocket-protocol")
        guard !offered.isEmpty else {
            return .refuse(status: 400, reason: "no WebSocket subprotocol offered; MQTT needs Sec-WebSocket-Protocol: \(subprotocol)")
        }
        guard offered.contains(where: { $0.lowercased() == subprotocol }) else {
            return .refuse(status: 400, reason: "unknown WebSocket subprotocol \(offered.joined(separator: ", ")); MQTT needs Sec-WebSocket-Protocol: \(subprotocol)")
        }
        return .upgrade(subprotocol: subprotocol)
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}
