import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Reads back a JUnit XML file the harness wrote (``JUnitXMLWriter``), for
/// `harness report merge`. Anything else is refused: a document that is not XML, not a
/// `<testsuites>` document, or whose suites lack the properties every harness suite carries
/// (`scenario.path`, `target`).
public enum JUnitXMLReader {
    /// The properties that mark a suite as the harness's.
    public static let requiredProperties = ["scenario.path", "target"]

    /// Reads the file at `path`.
    /// - Throws: ``ReportInputError`` naming the file (and the line, for damaged XML).
    public static func read(path: String) throws(ReportInputError) -> JUnitReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReportInputError(path: path, reason: "the file is missing or unreadable")
        }
        return try read(data: data, path: path)
    }

    /// Reads `data`; `path` names it in errors.
    public static func read(data: Data, path: String) throws(ReportInputError) -> JUnitReport {
        // First whether it is XML at all: the parser accepts a document cut off inside an
        // element, so the elements are counted too.
        let balance = Balance()
        let check = XMLParser(data: data)
        check.shouldResolveExternalEntities = false
        check.delegate = balance
        if !check.parse() {
            throw ReportInputError(path: path, reason: "damaged XML at line \(check.lineNumber), column \(check.columnNumber)")
        }
        if let root = balance.root, root != "testsuites" {
            throw ReportInputError(path: path, reason: "not a JUnit XML file: the root element is <\(ControlCharacterEscaping.escape(String(root.prefix(40))))>, not <testsuites>")
        }
        if balance.depth != 0 {
            throw ReportInputError(path: path, reason: "damaged XML: the document ends inside <\(ControlCharacterEscaping.escape(String(balance.open.prefix(40))))> (line \(check.lineNumber))")
        }
        let collector = Collector()
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = collector
        let parsed = parser.parse()
        if let problem = collector.problem {
            throw ReportInputError(path: path, reason: problem)
        }
        guard parsed else {
            throw ReportInputError(path: path, reason: "damaged XML at line \(parser.lineNumber), column \(parser.columnNumber)")
        }
        guard collector.sawRoot else { throw ReportInputError(path: path, reason: "not a JUnit XML file (empty document)") }
        for suite in collector.report.suites {
            let names = Set(suite.properties.map(\.name))
            for required in requiredProperties where !names.contains(required) {
                throw ReportInputError(path: path, reason: "not a harness JUnit file: test suite '\(ControlCharacterEscaping.escape(suite.name))' has no '\(required)' property")
            }
        }
        return collector.report
    }

    /// `2026-11-26T16:29:33` (UTC), as the writer formats timestamps.
    static func parseTimestamp(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).map { Int($0) }
        guard parts.count == 6, parts.allSatisfy({ $0 != nil }) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return nil }
        calendar.timeZone = utc
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: parts[3], minute: parts[4], second: parts[5])
        return calendar.date(from: components)
    }

    /// Counts open elements.
    private final class Balance: NSObject, XMLParserDelegate {
        var stack: [String] = []
        var root: String?
        var depth: Int { stack.count }
        var open: String { stack.last ?? "" }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            if root == nil { root = name }
            stack.append(name)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            _ = stack.popLast()
        }
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var report = JUnitReport()
        var problem: String?
        var sawRoot = false
        private var path: [String] = []
        private var suite: JUnitTestSuite?
        private var testCase: JUnitTestCase?
        private var outcome: (kind: String, message: String, type: String)?
        private var text = ""
        private var details = ""

        private func fail(_ parser: XMLParser, _ reason: String) {
            guard problem == nil else { return }
            problem = reason + " (line \(parser.lineNumber))"
            parser.abortParsing()
        }

        private func seconds(_ value: String?, _ parser: XMLParser, _ what: String) -> Double {
            guard let value, let number = Double(value), number.isFinite, number >= 0 else {
                fail(parser, "\(what) has no valid 'time' attribute")
                return 0
            }
            guard number <= JUnitXMLWriter.longestTime else {
                fail(parser, "\(what) has a 'time' of \(value) s, longer than any run (at most \(Int(JUnitXMLWriter.longestTime)) s)")
                return 0
            }
            return number
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            defer { path.append(name) }
            text = ""
            switch (path.last, name) {
            case (nil, "testsuites"):
                sawRoot = true
            case (nil, _):
                fail(parser, "not a JUnit XML file: the root element is <\(ControlCharacterEscaping.escape(String(name.prefix(40))))>, not <testsuites>")
            case ("testsuites", "testsuite"):
                guard let name = attributes["name"], let stamp = attributes["timestamp"], let timestamp = JUnitXMLReader.parseTimestamp(stamp) else {
                    return fail(parser, "a <testsuite> lacks its name or timestamp")
                }
                suite = JUnitTestSuite(
                    name: name, package: attributes["package"] ?? "", timestamp: timestamp, hostname: attributes["hostname"] ?? "",
                    time: seconds(attributes["time"], parser, "a <testsuite>")
                )
            case ("properties", "property"):
                guard let name = attributes["name"], let value = attributes["value"] else { return fail(parser, "a <property> lacks its name or value") }
                suite?.properties.append(JUnitProperty(name, value))
            case ("testsuite", "testcase"):
                guard let name = attributes["name"], let classname = attributes["classname"] else { return fail(parser, "a <testcase> lacks its name or classname") }
                testCase = JUnitTestCase(name: name, classname: classname, time: seconds(attributes["time"], parser, "a <testcase>"))
            case ("testcase", "failure"), ("testcase", "error"), ("testcase", "skipped"):
                guard outcome == nil else { return fail(parser, "a <testcase> has more than one outcome") }
                outcome = (name, attributes["message"] ?? "", attributes["type"] ?? "")
            case ("testsuite", "properties"), ("testsuite", "system-out"), ("testsuite", "system-err"):
                break
            default:
                fail(parser, "not a harness JUnit file: unexpected <\(ControlCharacterEscaping.escape(String(name.prefix(40))))> in <\(path.last ?? "")>")
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            path.removeLast()
            switch name {
            case "testsuite":
                if let suite { report.suites.append(suite) }
                suite = nil
            case "testcase":
                if var testCase {
                    switch outcome?.kind {
                    case "failure": testCase.outcome = .failed(message: outcome?.message ?? "", type: outcome?.type ?? "", details: details)
                    case "error": testCase.outcome = .errored(message: outcome?.message ?? "", type: outcome?.type ?? "", details: details)
                    case "skipped": testCase.outcome = .skipped(message: outcome?.message ?? "")
                    default: break
                    }
                    suite?.testCases.append(testCase)
                }
                testCase = nil
                outcome = nil
                details = ""
            case "failure", "error":
                details = text
            case "system-out":
                suite?.systemOut = text
            case "system-err":
                suite?.systemErr = text
            default:
                break
            }
            text = ""
        }
    }
}
