/// An IoT Hub MQTT topic name, parsed: the one reading of IoT Hub topics, and the one place
/// that writes them. Device-to-cloud topics (telemetry, twin requests, method answers) and
/// cloud-to-device ones (C2D deliveries, twin responses and desired patches, method calls).
///
/// `$rid` and `$version` are read from the query with percent-decoding, as the property bags
/// are, and written as they are (IoT Hub echoes a request id back verbatim).
public enum IoTHubTopic: Sendable, Hashable {
    /// `devices/{id}/messages/events/{property bag}` (or `devices/{id}/messages/events`).
    case telemetry(DeviceID, properties: PropertyBag)
    /// `devices/{id}/messages/devicebound/{property bag}`: a C2D delivery.
    case devicebound(DeviceID, properties: PropertyBag)
    /// `$iothub/twin/GET/?$rid={rid}`: a device asks for its twin.
    case twinGet(requestID: String)
    /// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`: a device reports properties.
    case twinReportedPatch(requestID: String)
    /// `$iothub/twin/res/{status}/?$rid={rid}` with `&$version={version}` after a reported
    /// patch: the hub answers a twin request.
    case twinResponse(status: Int, requestID: String, version: Int?)
    /// `$iothub/twin/PATCH/properties/desired/?$version={version}`: the hub pushes a desired
    /// properties patch.
    case twinDesiredPatch(version: Int)
    /// `$iothub/methods/POST/{name}/?$rid={rid}`: the hub calls a direct method.
    case methodRequest(name: String, requestID: String)
    /// `$iothub/methods/res/{status}/?$rid={rid}`: a device answers a direct method.
    case methodResponse(status: Int, requestID: String)

    /// What to do with a telemetry or C2D property bag that is not valid percent-encoding.
    public enum MalformedBagHandling: Sendable, Hashable {
        /// The topic is malformed (the hub refuses such a publish).
        case refuse
        /// The topic is read with no properties (an observer of a plain broker, which takes
        /// any topic, still sees the message).
        case readAsEmpty
    }

    /// Parses a topic name.
    /// - Throws: ``IoTHubCoreError/malformedTopic(_:reason:)`` for a name that is not one of
    ///   IoT Hub's topics, or one without a `$rid` or `$version` it needs.
    public init(parsing name: String, malformedBag: MalformedBagHandling = .refuse) throws(IoTHubCoreError) {
        if name.hasPrefix(IoTHubTopics.reservedPrefix) {
            self = try Self.parseReserved(name)
        } else if name.hasPrefix("devices/") {
            self = try Self.parseMessages(name, malformedBag: malformedBag)
        } else {
            throw .malformedTopic(name, reason: "it starts with neither devices/ nor $iothub/")
        }
    }

    /// The topic name.
    public var name: String {
        switch self {
        case .telemetry(let deviceID, let properties): IoTHubTopics.telemetryPrefix(deviceID) + properties.encoded
        case .devicebound(let deviceID, let properties): IoTHubTopics.deviceboundPrefix(deviceID) + properties.encoded
        case .twinGet(let requestID): "$iothub/twin/GET/?$rid=\(requestID)"
        case .twinReportedPatch(let requestID): "$iothub/twin/PATCH/properties/reported/?$rid=\(requestID)"
        case .twinResponse(let status, let requestID, nil): "$iothub/twin/res/\(status)/?$rid=\(requestID)"
        case .twinResponse(let status, let requestID, let version?): "$iothub/twin/res/\(status)/?$rid=\(requestID)&$version=\(version)"
        case .twinDesiredPatch(let version): "$iothub/twin/PATCH/properties/desired/?$version=\(version)"
        case .methodRequest(let name, let requestID): "$iothub/methods/POST/\(name)/?$rid=\(requestID)"
        case .methodResponse(let status, let requestID): "$iothub/methods/res/\(status)/?$rid=\(requestID)"
        }
    }

    /// `devices/{id}/messages/{events|devicebound}[/{bag}]`; the bag may hold `/`.
    private static func parseMessages(_ name: String, malformedBag: MalformedBagHandling) throws(IoTHubCoreError) -> IoTHubTopic {
        let parts = name.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[2] == "messages", parts[3] == "events" || parts[3] == "devicebound" else {
            throw .malformedTopic(name, reason: "it is not devices/{id}/messages/events/ or devices/{id}/messages/devicebound/")
        }
        let deviceID: DeviceID
        do {
            deviceID = try DeviceID(String(parts[1]))
        } catch {
            throw .malformedTopic(name, reason: "\(error)")
        }
        var properties = PropertyBag()
        if parts.count == 5 {
            do {
                properties = try PropertyBag(parsing: String(parts[4]))
            } catch {
                if malformedBag == .refuse { throw .malformedTopic(name, reason: "its property bag has \(error)") }
            }
        }
        return parts[3] == "events" ? .telemetry(deviceID, properties: properties) : .devicebound(deviceID, properties: properties)
    }

    /// The `$iothub/...` topics.
    private static func parseReserved(_ name: String) throws(IoTHubCoreError) -> IoTHubTopic {
        let rest = name.dropFirst(IoTHubTopics.reservedPrefix.count)
        if let query = rest.dropping(prefix: "twin/GET/") {
            return .twinGet(requestID: try Query(query, of: name).requestID())
        }
        if let query = rest.dropping(prefix: "twin/PATCH/properties/reported/") {
            return .twinReportedPatch(requestID: try Query(query, of: name).requestID())
        }
        if let query = rest.dropping(prefix: "twin/PATCH/properties/desired/") {
            guard let version = try Query(query, of: name).version() else { throw .malformedTopic(name, reason: "it has no $version") }
            return .twinDesiredPatch(version: version)
        }
        if let statusAndQuery = rest.dropping(prefix: "twin/res/") {
            let (status, query) = try statusCode(statusAndQuery, of: name)
            return .twinResponse(status: status, requestID: try query.requestID(), version: try query.version())
        }
        if let statusAndQuery = rest.dropping(prefix: "methods/res/") {
            let (status, query) = try statusCode(statusAndQuery, of: name)
            return .methodResponse(status: status, requestID: try query.requestID())
        }
        if let nameAndQuery = rest.dropping(prefix: "methods/POST/") {
            guard let mark = nameAndQuery.firstIndex(of: "?"), mark > nameAndQuery.startIndex else {
                throw .malformedTopic(name, reason: "it has no method name and query")
            }
            let slash = nameAndQuery.index(before: mark)
            guard nameAndQuery[slash] == "/", slash > nameAndQuery.startIndex else {
                throw .malformedTopic(name, reason: "it has no method name and query")
            }
            return .methodRequest(name: String(nameAndQuery[..<slash]), requestID: try Query(nameAndQuery[mark...], of: name).requestID())
        }
        throw .malformedTopic(name, reason: "it is not a twin or direct method topic")
    }

    /// `{status}/?...`.
    private static func statusCode(_ text: Substring, of name: String) throws(IoTHubCoreError) -> (Int, Query) {
        guard let slash = text.firstIndex(of: "/"), let status = Int(text[..<slash]) else {
            throw .malformedTopic(name, reason: "it has no status code")
        }
        return (status, try Query(text[text.index(after: slash)...], of: name))
    }

    /// The `?$rid=...&$version=...` part of a twin or method topic.
    private struct Query {
        let properties: PropertyBag
        let name: String

        init(_ text: Substring, of name: String) throws(IoTHubCoreError) {
            guard text.first == "?" else { throw .malformedTopic(name, reason: "it has no query (?$rid=...)") }
            do {
                properties = try PropertyBag(parsing: String(text.dropFirst()))
            } catch {
                throw .malformedTopic(name, reason: "its query has \(error)")
            }
            self.name = name
        }

        /// `$rid`, which must be present and not empty.
        func requestID() throws(IoTHubCoreError) -> String {
            guard case .some(.some(let requestID)) = properties["$rid"], !requestID.isEmpty else {
                throw .malformedTopic(name, reason: "it has no $rid")
            }
            return requestID
        }

        /// `$version` if present; it must be a whole number then.
        func version() throws(IoTHubCoreError) -> Int? {
            guard case .some(let value) = properties["$version"] else { return nil }
            guard let value, let version = Int(value) else { throw .malformedTopic(name, reason: "its $version is not a whole number") }
            return version
        }
    }
}

extension Substring {
    /// The rest after `prefix`, or `nil` when the text does not start with it.
    fileprivate func dropping(prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }
}
