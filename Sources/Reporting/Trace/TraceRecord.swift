import Foundation

/// One line of `trace.jsonl`: a packet or an event, with its time and the facts a tool needs
/// to filter and plot it.
public struct TraceRecord: Sendable, Hashable, Codable {
    /// Seconds since the start of the run.
    public var time: Double
    /// `packet`, `hub`, `device` or `step`.
    public var kind: String
    /// The device concerned, if any.
    public var device: String?
    /// For packets: `to_hub` or `to_device`.
    public var direction: String?
    /// For packets: where it was recorded (`device` or `hub`).
    public var vantage: String?
    /// For packets: the type (`PUBLISH`); for events: the event's name (`connected`).
    public var type: String?
    /// For packets: size in bytes.
    public var size: Int?
    /// Key fields, for example `topic`, `qos`, `id`, `reason`.
    public var fields: [String: String]
    /// A readable rendering of the whole line.
    public var text: String

    public init(
        time: Double,
        kind: String,
        device: String? = nil,
        direction: String? = nil,
        vantage: String? = nil,
        type: String? = nil,
        size: Int? = nil,
        fields: [String: String] = [:],
        text: String
    ) {
        self.time = time
        self.kind = kind
        self.device = device
        self.direction = direction
        self.vantage = vantage
        self.type = type
        self.size = size
        self.fields = fields
        self.text = text
    }
}

/// Writes trace records as JSON Lines: one JSON object per line, keys sorted, secrets masked,
/// and the control characters of every string (C0 and C1 controls, line and paragraph
/// separators, bidirectional overrides) shown escaped as `\n`, `\u{1b}` (see
/// ``ControlCharacterEscaping``), so a peer's text cannot drive a terminal or split a line
/// for a tool that reads the file with `cat`, `less` or `grep`.
public struct TraceJSONLinesWriter: Sendable {
    public var redactor: SecretRedactor

    public init(redactor: SecretRedactor = SecretRedactor()) {
        self.redactor = redactor
    }

    public func render(_ records: [TraceRecord]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = ""
        for record in records {
            guard let data = try? encoder.encode(Self.escaped(record)) else { continue }
            text += redactor.redact(String(decoding: data, as: UTF8.self)) + "\n"
        }
        return text
    }

    /// The record with its strings' control characters escaped.
    static func escaped(_ record: TraceRecord) -> TraceRecord {
        let escape = ControlCharacterEscaping.escape
        var record = record
        record.device = record.device.map(escape)
        record.type = record.type.map(escape)
        record.fields = Dictionary(uniqueKeysWithValues: record.fields.map { (escape($0.key), escape($0.value)) })
        record.text = escape(record.text)
        return record
    }
}
