import IoTHubCore
import MQTTCore

/// One step of a scenario: an action or an expectation.
public struct Step: Sendable {
    /// 1-based position in the scenario.
    public var number: Int
    public var location: SourceLocation
    public var kind: Kind

    /// What the step does.
    public enum Kind: Sendable, Hashable {
        /// The device connects (as the firmware's `connect(clean_session)`), waiting for CONNACK.
        case connect(cleanSession: Bool, keepAlive: UInt16)
        /// The device subscribes, waiting for SUBACK.
        case subscribe(TopicFilter, qos: MQTTQoS)
        /// The cloud sends a C2D message.
        case send(CloudToDeviceSpec)
        /// The device sends DISCONNECT.
        case disconnect
        /// Nothing happens for a while.
        case wait(Duration)
        /// Something must (or must not) be observed.
        case expect(Expectation)
    }

    public init(number: Int, location: SourceLocation, kind: Kind) {
        self.number = number
        self.location = location
        self.kind = kind
    }

    /// Whether the step acts (and so becomes the cause later expectations measure from).
    public var isAction: Bool {
        switch kind {
        case .expect, .wait: false
        case .connect, .subscribe, .send, .disconnect: true
        }
    }

    /// A one-line description, for example `send "on"` or `expect led on within 500ms`.
    public var title: String {
        switch kind {
        case .connect(let cleanSession, let keepAlive):
            "connect clean_session=\(cleanSession) keepalive=\(keepAlive)"
        case .subscribe(let filter, let qos):
            "subscribe \(filter) qos=\(qos)"
        case .send(let message):
            "send \(message.summary)"
        case .disconnect:
            "disconnect"
        case .wait(let duration):
            "wait \(ScenarioDuration.format(duration))"
        case .expect(let expectation):
            "expect \(expectation)"
        }
    }
}

/// A C2D message as a scenario describes it.
public struct CloudToDeviceSpec: Sendable, Hashable {
    public var payload: String
    public var properties: PropertyBag
    public var messageID: String?
    public var correlationID: String?
    public var timeToLive: Duration?
    public var acknowledgement: String?

    public init(
        payload: String,
        properties: PropertyBag = PropertyBag(),
        messageID: String? = nil,
        correlationID: String? = nil,
        timeToLive: Duration? = nil,
        acknowledgement: String? = nil
    ) {
        self.payload = payload
        self.properties = properties
        self.messageID = messageID
        self.correlationID = correlationID
        self.timeToLive = timeToLive
        self.acknowledgement = acknowledgement
    }

    /// `"on"`, plus the properties if any.
    public var summary: String {
        properties.isEmpty ? "\"\(payload)\"" : "\"\(payload)\" \(properties.encoded)"
    }
}
