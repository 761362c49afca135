import Foundation

/// The latency histograms of one JUnit report, written beside it (`junit.xml` ->
/// `junit.histograms.json`): for each test suite (by name, in the JUnit's order) its metrics
/// (`step-05.latency`, `repeat.step-04.latency`, ...), each a ``LatencyHistogram``.
///
/// `harness report merge` reads them back to compute percentiles over shards from merged
/// buckets instead of averaging per-shard percentiles.
public struct LatencyHistogramFile: Sendable, Hashable, Codable {
    /// One suite's histograms.
    public struct Suite: Sendable, Hashable, Codable {
        /// The JUnit test suite's name.
        public var name: String
        /// Metric name -> histogram.
        public var metrics: [String: LatencyHistogram]

        public init(name: String, metrics: [String: LatencyHistogram] = [:]) {
            self.name = name
            self.metrics = metrics
        }
    }

    /// What the file says it is: guards against reading some other JSON file.
    public static let formatName = "harness-latency-histograms"
    public static let currentVersion = 1

    public var format: String = Self.formatName
    public var version: Int = Self.currentVersion
    /// Bucket precision of every histogram (``LatencyHistogram/precisionBits``).
    public var precisionBits: Int = LatencyHistogram.precisionBits
    /// One entry per JUnit test suite, in the JUnit's order.
    public var suites: [Suite]

    public init(suites: [Suite] = []) {
        self.suites = suites
    }

    /// Where the histograms of the JUnit file at `junitPath` are: `.xml` replaced by
    /// `.histograms.json` (appended when the name has no `.xml`).
    public static func path(besideJUnit junitPath: String) -> String {
        let base = junitPath.hasSuffix(".xml") ? String(junitPath.dropLast(4)) : junitPath
        return base + ".histograms.json"
    }

    /// The file's JSON: keys sorted, so the same histograms always give the same bytes.
    public func render() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else {
            preconditionFailure("histograms of integers and strings always encode")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Reads a file written by ``render()``.
    /// - Throws: ``ReportInputError`` naming `path` when the file is missing, is not JSON of
    ///   this format, or holds inconsistent histograms.
    public static func load(path: String) throws(ReportInputError) -> LatencyHistogramFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportInputError(path: path, reason: "the latency histograms file is missing or unreadable (harness run writes it beside its JUnit file)")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
            throw ReportInputError(path: path, reason: "not valid JSON")
        }
        let file: LatencyHistogramFile
        do {
            file = try JSONDecoder().decode(LatencyHistogramFile.self, from: data)
        } catch {
            throw ReportInputError(path: path, reason: "not a harness latency histograms file (\(describe(error)))")
        }
        guard file.format == formatName else {
            throw ReportInputError(path: path, reason: "not a harness latency histograms file (format '\(ControlCharacterEscaping.escape(String(file.format.prefix(80))))')")
        }
        guard file.version == currentVersion, file.precisionBits == LatencyHistogram.precisionBits else {
            throw ReportInputError(path: path, reason: "histograms of version \(file.version) with \(file.precisionBits)-bit buckets; this harness reads version \(currentVersion) with \(LatencyHistogram.precisionBits)-bit buckets")
        }
        return file
    }

    private static func describe(_ error: any Error) -> String {
        func place(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "'\(key.stringValue)' missing at \(place(context.codingPath))"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(place(context.codingPath))"
        case DecodingError.valueNotFound(_, let context): return "null at \(place(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            // The file parsed as JSON already: Foundation says "not valid JSON" of a number it
            // cannot hold (negative, fractional or too large for a count of nanoseconds).
            let reason = context.debugDescription.contains("not valid JSON") ? "a number that is not a whole number from 0 to 2^64-1" : context.debugDescription
            return "\(reason) at \(place(context.codingPath))"
        default: return "unreadable"
        }
    }
}

/// An input of a report merge is missing or damaged.
public struct ReportInputError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file at fault.
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "error: \(ControlCharacterEscaping.escape(path)): \(reason)" }
}
