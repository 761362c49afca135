import Foundation

/// Renders a ``JUnitReport`` as XML valid against the Apache Ant JUnit schema, with a stable
/// attribute order and fixed number formats so that reports diff cleanly.
public struct JUnitXMLWriter: Sendable {
    /// Applied to every text and attribute value before escaping.
    public var redactor: SecretRedactor

    public init(redactor: SecretRedactor = SecretRedactor()) {
        self.redactor = redactor
    }

    /// The whole document.
    public func render(_ report: JUnitReport) -> String {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
        for (index, suite) in report.suites.enumerated() {
            render(suite, id: index, into: &xml)
        }
        xml += "</testsuites>\n"
        return xml
    }

    private func render(_ suite: JUnitTestSuite, id: Int, into xml: inout String) {
        xml += "  <testsuite"
        xml += attribute("name", suite.name.isEmpty ? "unnamed" : suite.name)
        xml += attribute("package", suite.package.isEmpty ? suite.name : suite.package)
        xml += attribute("id", String(id))
        xml += attribute("timestamp", Self.formatTimestamp(suite.timestamp))
        xml += attribute("hostname", suite.hostname.isEmpty ? "localhost" : suite.hostname)
        xml += attribute("tests", String(suite.testCases.count))
        xml += attribute("failures", String(suite.failureCount))
        xml += attribute("errors", String(suite.errorCount))
        xml += attribute("skipped", String(suite.skippedCount))
        xml += attribute("time", Self.formatSeconds(suite.time))
        xml += ">\n    <properties>\n"
        for property in suite.properties {
            xml += "      <property\(attribute("name", property.name))\(attribute("value", property.value))/>\n"
        }
        xml += "    </properties>\n"
        for testCase in suite.testCases {
            xml += "    <testcase"
            xml += attribute("name", testCase.name)
            xml += attribute("classname", testCase.classname)
            xml += attribute("time", Self.formatSeconds(testCase.time))
            switch testCase.outcome {
            case .passed:
                xml += "/>\n"
            case .failed(let message, let type, let details):
                xml += ">\n      <failure\(attribute("message", message))\(attribute("type", type))>"
                xml += text(details) + "</failure>\n    </testcase>\n"
            case .errored(let message, let type, let details):
                xml += ">\n      <error\(attribute("message", message))\(attribute("type", type))>"
                xml += text(details) + "</error>\n    </testcase>\n"
            case .skipped(let message):
                xml += ">\n      <skipped\(attribute("message", message))/>\n    </testcase>\n"
            }
        }
        xml += "    <system-out>\(text(suite.systemOut))</system-out>\n"
        xml += "    <system-err>\(text(suite.systemErr))</system-err>\n"
        xml += "  </testsuite>\n"
    }

    private func attribute(_ name: String, _ value: String) -> String {
        // Attribute values are single lines (names, messages): control characters escaped.
        " \(name)=\"\(XMLEscaping.escape(ControlCharacterEscaping.escape(redactor.redact(value)), inAttribute: true))\""
    }

    private func text(_ value: String) -> String {
        XMLEscaping.escape(redactor.redact(value), inAttribute: false)
    }

    /// The longest time a report shows (about 31 years): longer ones, never a run's, are shown
    /// as this.
    public static let longestTime: Double = 1e9

    /// Seconds with millisecond precision, for example `0.042` (an `xs:decimal`).
    public static func formatSeconds(_ seconds: Double) -> String {
        let bounded = seconds.isFinite ? min(max(0, seconds), longestTime) : 0
        let millis = Int64((bounded * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// UTC time without zone, as the schema's pattern requires: `2026-11-26T16:29:33`.
    public static func formatTimestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.year, 4))-\(pad(parts.month, 2))-\(pad(parts.day, 2))T\(pad(parts.hour, 2)):\(pad(parts.minute, 2)):\(pad(parts.second, 2))"
    }
}
