/// Limits of the service HTTP server, so that a client that sends slowly, sends too much or
/// opens too many connections cannot hold the hub's memory or connections.
public struct ServiceHTTPLimits: Sendable, Hashable {
    /// Time a connection has to deliver a whole request (head and body), counted from when the
    /// server starts waiting for it: when the connection opens, and again after each response.
    /// A connection that sent nothing by then is closed; one in the middle of a request gets
    /// 408 and is closed. Default: 10 seconds.
    public var requestTimeout: Duration
    /// Largest request body accepted. A larger `Content-Length` is answered 413 from the
    /// header, before any of the body is read, and the connection is closed. Default: 512 KiB
    /// (C2D bodies are at most 64 KB).
    public var maximumBodySize: Int
    /// Connections served at once; further ones are closed as soon as they are accepted.
    /// Default: 128.
    public var maximumConnections: Int

    public init(requestTimeout: Duration = .seconds(10), maximumBodySize: Int = 512 * 1024, maximumConnections: Int = 128) {
        self.requestTimeout = requestTimeout
        self.maximumBodySize = maximumBodySize
        self.maximumConnections = maximumConnections
    }
}
