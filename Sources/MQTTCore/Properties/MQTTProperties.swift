import NIOCore

/// The properties of one MQTT 5.0 packet, or of a will (section 2.2.2): an ordered list of
/// ``MQTTProperty`` values, empty for every MQTT 3.1.1 packet.
///
/// The list is kept in its wire form (a slice of the received buffer when decoded, so a
/// decoded packet costs no allocation for its properties); iterating yields typed values.
/// Order is kept, so User Properties keep theirs [MQTT-3.3.2-18]. Two lists are equal when
/// their properties are, in order.
public struct MQTTProperties: Sendable, Hashable, Sequence, CustomStringConvertible {
    /// The properties' wire form; `nil` when there are none, so that the properties of every
    /// MQTT 3.1.1 packet (and of most 5.0 ones) cost no reference to count.
    private var storage: ByteBuffer?

    /// The properties' bytes on the wire, without the Property Length in front.
    public var bytes: ByteBuffer { storage ?? ByteBuffer() }

    /// No properties.
    public static var none: MQTTProperties { MQTTProperties() }

    /// No properties.
    public init() { storage = nil }

    /// The properties in the order given.
    /// - Throws: ``MQTTEncodingError/propertyValueTooLarge(_:_:)`` for a value the wire form
    ///   cannot hold (a string or binary value above 65,535 bytes, a
    ///   Subscription Identifier above 268,435,455). Whether a packet may carry them is checked
    ///   when it is encoded.
    public init(_ properties: [MQTTProperty]) throws(MQTTEncodingError) {
        var buffer = ByteBuffer()
        for property in properties { try Self.write(property, into: &buffer) }
        self.init(validated: buffer)
    }

    /// Properties already checked (decoded, or written by ``init(_:)``).
    init(validated bytes: ByteBuffer) {
        storage = bytes.readableBytes == 0 ? nil : bytes
    }

    /// Whether there are no properties.
    public var isEmpty: Bool { storage == nil }

    /// The number of bytes the properties take on the wire, without the Property Length.
    public var byteCount: Int { storage?.readableBytes ?? 0 }

    /// The number of properties.
    public var count: Int { reduce(0) { count, _ in count + 1 } }

    /// Appends `property` at the end.
    /// - Throws: as ``init(_:)``.
    public mutating func append(_ property: MQTTProperty) throws(MQTTEncodingError) {
        var buffer = storage ?? ByteBuffer()
        storage = nil
        defer { storage = buffer.readableBytes == 0 ? nil : buffer }
        try Self.write(property, into: &buffer)
    }

    /// The first property with `identifier`, if any.
    public func first(_ identifier: MQTTPropertyIdentifier) -> MQTTProperty? {
        self.first(where: { $0.identifier == identifier })
    }

    /// Every property with `identifier`, in order.
    public func all(_ identifier: MQTTPropertyIdentifier) -> [MQTTProperty] {
        filter { $0.identifier == identifier }
    }

    /// The User Properties, in order.
    public var userProperties: [(name: String, value: String)] {
        compactMap { if case .userProperty(let name, let value) = $0 { (name, value) } else { nil } }
    }

    /// The Topic Alias, if present.
    public var topicAlias: UInt16? {
        if case .topicAlias(let alias)? = first(.topicAlias) { alias } else { nil }
    }

    /// The Subscription Identifiers, in order (PUBLISH may carry several, SUBSCRIBE one).
    public var subscriptionIdentifiers: [UInt32] {
        compactMap { if case .subscriptionIdentifier(let id) = $0 { id } else { nil } }
    }

    /// The Reason String, if present.
    public var reasonString: String? {
        if case .reasonString(let text)? = first(.reasonString) { text } else { nil }
    }

    /// The Session Expiry Interval in seconds, if present.
    public var sessionExpiryInterval: UInt32? {
        if case .sessionExpiryInterval(let seconds)? = first(.sessionExpiryInterval) { seconds } else { nil }
    }

    /// The Server Reference, if present (CONNACK or DISCONNECT redirecting the client).
    public var serverReference: String? {
        if case .serverReference(let text)? = first(.serverReference) { text } else { nil }
    }

    /// The properties as `name=value` items, secrets masked: ``summary``.
    public var description: String { summary }

    public func makeIterator() -> Iterator { Iterator(buffer: storage ?? ByteBuffer()) }

    /// Reads the properties one at a time from their wire form.
    public struct Iterator: IteratorProtocol {
        var buffer: ByteBuffer

        public mutating func next() -> MQTTProperty? {
            // The bytes were checked when they were decoded or written: a read that fails
            // cannot happen, and ends the sequence if it did.
            var reader = PropertyReader(buffer: buffer)
            guard let property = try? reader.readProperty() else { return nil }
            buffer = reader.buffer
            return property
        }
    }
}
