import IoTHubCore
import MQTTCore

/// One step of a scenario: an action, an expectation, or a repeated block of steps.
public struct Step: Sendable, Hashable {
    /// Position in the scenario: `5`, or `5.2` for the second step inside block 5.
    public var number: StepNumber
    public var location: SourceLocation
    public var kind: Kind
    /// The device the step acts on or observes; `nil` for steps about the hub or time.
    public var device: DeviceID?
    /// The fleet members the step concerns (`device: sensors`, a range, a sample); `nil` for
    /// a step about one device or none. A fleet step is carried out for each member.
    public var fleet: FleetSelection?
    /// The normative statements this step checks (its `statements:`, plus the scenario's
    /// top-level ones): only this step's outcome, and that of the other steps naming a
    /// statement, decides the statement's verdict.
    public var statements: [String] = []
    /// A step of the scenario's `finally:` part: it runs whatever happened before it.
    public var isCleanup = false
    /// The device's next step is an expectation that judges this action's answer by its
    /// reason code (`expect: { connack: { reason: not_authorized } }` after a connect): an
    /// MQTT 5.0 refusal (a reason code of 0x80 or more) is then left to it, not a failure of
    /// this step.
    public var answerJudgedLater = false

    /// What the step does.
    public enum Kind: Sendable, Hashable {
        /// The device connects (as the firmware's `connect(clean_session)`), waiting for CONNACK.
        /// `cleanSession` is Clean Start in MQTT 5.0; `properties` are the CONNECT properties
        /// (MQTT 5.0 only).
        case connect(cleanSession: Bool, keepAlive: UInt16, properties: MQTTProperties = .none)
        /// The device subscribes, waiting for SUBACK; `options` hold the MQTT 5.0 options.
        case subscribe(TopicFilter, qos: MQTTQoS, options: SubscribeOptions = SubscribeOptions())
        /// The device unsubscribes, waiting for UNSUBACK; `properties` (MQTT 5.0 only).
        case unsubscribe(TopicFilter, properties: MQTTProperties = .none)
        /// The cloud sends a C2D message.
        case send(SendSpec)
        /// The device publishes (telemetry by default).
        case publish(PublishSpec)
        /// The device sends DISCONNECT (with a reason and properties in MQTT 5.0).
        case disconnect(DisconnectSpec = DisconnectSpec())
        /// The device registers with the Device Provisioning Service and keeps what it
        /// assigned for its next connects.
        case provision(ProvisionSpec)
        /// The device's program starts again from scratch.
        case restart
        /// The device writes raw bytes on its connection (opening the transport without
        /// CONNECT when it is not open).
        case sendBytes(HexBytes)
        /// The hub's clock jumps just past the expiry of the device's token.
        case expireToken
        /// The hub revokes the device's credentials and drops its connection.
        case revoke
        /// The hub's clock jumps forward.
        case advanceClock(Duration)
        /// Something goes wrong on a device's network path or on the hub.
        case fault(FaultSpec)
        /// Faults end before their time.
        case heal(FaultHeal)
        /// Nothing happens for a while.
        case wait(Duration)
        /// Something must (or must not) be observed.
        case expect(Expectation)
        /// Steps run several times, with latency thresholds.
        case repeatBlock(RepeatBlock)
        /// Steps run for a while as faults strike at random.
        case chaos(ChaosBlock)
    }

    public init(number: StepNumber, location: SourceLocation, kind: Kind, device: DeviceID? = nil) {
        self.number = number
        self.location = location
        self.kind = kind
        self.device = device
    }

    /// Whether the step acts (and so becomes the cause later expectations measure from).
    public var isAction: Bool {
        switch kind {
        case .expect, .wait, .repeatBlock, .chaos: false
        case .connect, .subscribe, .unsubscribe, .send, .publish, .disconnect, .provision, .restart, .sendBytes, .expireToken, .revoke, .advanceClock, .fault, .heal: true
        }
    }

    /// A one-line description, for example `send "on"` or `expect led on within 500ms`
    /// (`finally: disconnect` for a cleanup step).
    public var title: String {
        isCleanup ? "finally: \(actionTitle)" : actionTitle
    }

    /// Who the step concerns, for reports: the device id or the fleet selection.
    public var subjectName: String? {
        fleet.map(\.description) ?? device?.string
    }

    private var actionTitle: String {
        let text: String
        switch kind {
        case .connect(let cleanSession, let keepAlive, let properties):
            text = "connect clean_session=\(cleanSession) keepalive=\(keepAlive)" + (properties.isEmpty ? "" : " properties=[\(properties.summary)]")
        case .subscribe(let filter, let qos, let options): text = "subscribe \(filter) qos=\(qos)\(options)"
        case .unsubscribe(let filter, let properties): text = "unsubscribe \(filter)" + (properties.isEmpty ? "" : " properties=[\(properties.summary)]")
        case .send(let message): text = "send \(message.summary)"
        case .publish(let message): text = "publish \(message.summary)"
        case .disconnect(let spec): text = "disconnect\(spec)"
        case .provision(let spec): text = "provision\(spec.summary)"
        case .restart: text = "restart"
        case .sendBytes(let bytes): text = "send_bytes \(bytes)"
        case .expireToken: text = "expire_token"
        case .revoke: text = "revoke"
        case .advanceClock(let duration): text = "advance_clock \(ScenarioDuration.format(duration))"
        case .wait(let duration): text = "wait \(ScenarioDuration.format(duration))"
        case .fault(let fault): text = "fault \(fault.summary)"
        case .heal(let heal): text = "heal \(heal.summary)"
        case .expect(let expectation): text = "expect \(expectation)"
        case .repeatBlock(let block): text = "repeat \(block.count)x (\(block.steps.count) steps)"
        case .chaos(let block):
            text = "chaos for \(ScenarioDuration.format(block.duration)): \(block.faults.map(\.kind.name).joined(separator: ", ")) every \(ScenarioDuration.format(block.interval.lowerBound))..\(ScenarioDuration.format(block.interval.upperBound)) (\(block.steps.count) steps)"
        }
        return text
    }
}

/// A step's position: top-level steps count from 1; steps inside a `repeat` block are
/// numbered within it (`5.2`).
public struct StepNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var path: [Int]

    public init(_ path: Int...) {
        self.path = path
    }

    public init(path: [Int]) {
        self.path = path
    }

    /// `5`, `5.2`.
    public var description: String { path.map(String.init).joined(separator: ".") }

    /// `05`, `05.2`: sorts well in reports.
    public var padded: String {
        guard let first = path.first else { return "" }
        return ([first < 10 ? "0\(first)" : "\(first)"] + path.dropFirst().map(String.init)).joined(separator: ".")
    }

    public static func < (lhs: StepNumber, rhs: StepNumber) -> Bool { lhs.path.lexicographicallyPrecedes(rhs.path) }
}

/// A device publication as a scenario describes it.
public struct PublishSpec: Sendable, Hashable {
    public var payload: String
    /// The topic; `nil` means the device's telemetry topic with ``properties`` as its bag.
    public var topic: TopicName?
    public var properties: PropertyBag
    /// The PUBLISH's MQTT 5.0 properties (`properties:` of a device that speaks 5.0, where
    /// ``properties`` is the IoT Hub property bag of a 3.1.1 device).
    public var mqttProperties = MQTTProperties.none
    public var qos: MQTTQoS
    public var retain: Bool
    /// The payload holds a secret value, so it is never shown cut.
    public var payloadHoldsSecret = false

    public init(payload: String, topic: TopicName? = nil, properties: PropertyBag = PropertyBag(), qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
        self.payload = payload
        self.topic = topic
        self.properties = properties
        self.qos = qos
        self.retain = retain
    }

    public var summary: String {
        var text = PayloadText.summary(payload, holdsSecret: payloadHoldsSecret)
        if let topic { text += topic == .empty ? " to its topic alias" : " to \(topic)" } else if !properties.isEmpty { text += " \(properties.encoded)" }
        if qos != .atMostOnce { text += " qos=\(qos)" }
        if retain { text += " retain" }
        if !mqttProperties.isEmpty { text += " properties=[\(mqttProperties.summary)]" }
        return text
    }
}

/// Steps run `count` times; latency statistics over the iterations must meet the thresholds.
public struct RepeatBlock: Sendable, Hashable {
    public var count: Int
    public var steps: [Step]
    public var thresholds: [LatencyThreshold]

    public init(count: Int, steps: [Step], thresholds: [LatencyThreshold] = []) {
        self.count = count
        self.steps = steps
        self.thresholds = thresholds
    }
}
