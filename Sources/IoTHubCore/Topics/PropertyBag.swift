/// The message properties IoT Hub carries in a topic's last level:
/// `k1=v1&k2&k3=` with names and values percent-encoded (section "property bag" of the IoT
/// Hub MQTT docs). A `nil` value is written as the bare name, an empty one as `name=`.
public struct PropertyBag: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// One property; order is kept.
    public struct Property: Sendable, Hashable {
        public var name: String
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public var properties: [Property]

    public init(_ properties: [Property] = []) {
        self.properties = properties
    }

    public init(dictionaryLiteral elements: (String, String?)...) {
        self.properties = elements.map { Property(name: $0.0, value: $0.1) }
    }

    /// The value of the first property named `name`; `.some(nil)` for a bare name.
    public subscript(name: String) -> String?? {
        guard let property = properties.first(where: { $0.name == name }) else { return nil }
        return .some(property.value)
    }

    /// Appends a property.
    public mutating func append(_ name: String, _ value: String?) {
        properties.append(Property(name: name, value: value))
    }

    public var isEmpty: Bool { properties.isEmpty }

    /// The encoded bag, for example `%24.mid=1&%24.to=%2Fdevices%2Fd%2Fmessages%2Fdevicebound`.
    public var encoded: String {
        properties.map { property in
            let name = PercentEncoding.encode(property.name)
            guard let value = property.value else { return name }
            return "\(name)=\(PercentEncoding.encode(value))"
        }.joined(separator: "&")
    }

    /// Parses an encoded bag.
    /// - Throws: ``IoTHubCoreError/malformedPercentEncoding(_:)``.
    public init(parsing text: String) throws(IoTHubCoreError) {
        var properties: [Property] = []
        for item in text.split(separator: "&") where !item.isEmpty {
            if let equals = item.firstIndex(of: "=") {
                properties.append(
                    Property(
                        name: try PercentEncoding.decode(String(item[..<equals])),
                        value: try PercentEncoding.decode(String(item[item.index(after: equals)...]))
                    )
                )
            } else {
                properties.append(Property(name: try PercentEncoding.decode(String(item)), value: nil))
            }
        }
        self.properties = properties
    }
}
