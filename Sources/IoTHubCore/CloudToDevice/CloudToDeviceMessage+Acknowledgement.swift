extension CloudToDeviceMessage {
    /// The feedback a sender asks for (`iothub-ack`): whether the hub reports the message's
    /// completion, its expiry or rejection, both, or neither.
    public enum Acknowledgement: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// `none`: no feedback (not named `none`, which `Optional` would shadow).
        case noFeedback = "none"
        /// `positive`: feedback when the device completes the message.
        case positive
        /// `negative`: feedback when the message expires, is dead-lettered or rejected.
        case negative
        /// `full`: both.
        case full

        /// The wire spellings, in order: `none`, `positive`, `negative`, `full`.
        public static let spellings = allCases.map(\.rawValue)

        /// `none, positive, negative or full`, for messages that list them.
        public static let spellingsInWords = spellings.dropLast().joined(separator: ", ") + " or " + (spellings.last ?? "")

        public var description: String { rawValue }
    }
}
