extension CloudToDeviceMessage {
    /// How long the hub keeps a C2D message for delivery: from 1 minute to 2 days, as IoT Hub
    /// allows. Validated when made, so a value of this type is always in range.
    public struct TimeToLive: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// The range IoT Hub accepts.
        public static let range: ClosedRange<Duration> = .seconds(60) ... .seconds(2 * 86_400)
        /// The hub's default, 1 hour.
        public static let oneHour = TimeToLive(checked: .seconds(3600))

        /// The time to live.
        public let duration: Duration

        /// Validates `duration`.
        /// - Throws: ``IoTHubCoreError/timeToLiveOutOfRange(_:)`` outside ``range``.
        public init(_ duration: Duration) throws(IoTHubCoreError) {
            guard Self.range.contains(duration) else { throw .timeToLiveOutOfRange(duration) }
            self.duration = duration
        }

        private init(checked duration: Duration) {
            self.duration = duration
        }

        /// Whole seconds, rounded down, as `iothub-expiry` carries it.
        public var wholeSeconds: Int64 { duration.components.seconds }

        public static func < (lhs: TimeToLive, rhs: TimeToLive) -> Bool { lhs.duration < rhs.duration }

        public var description: String { "\(duration)" }
    }
}
