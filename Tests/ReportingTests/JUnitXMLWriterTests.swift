import Foundation
import FoundationXML
import HarnessTestSupport
import Reporting
import Testing

@Suite struct JUnitXMLWriterTests {
    static func sampleReport() -> JUnitReport {
        JUnitReport(suites: [
            JUnitTestSuite(
                name: "c2d-led",
                timestamp: Date(timeIntervalSince1970: 1_800_000_000),
                hostname: "ci",
                time: 0.0125,
                properties: [JUnitProperty("latency.step-05.ms", "0.412"), JUnitProperty("note", "a \"quoted\" <value> & more")],
                testCases: [
                    JUnitTestCase(name: "01 connect", classname: "c2d-led", time: 0.003),
                    JUnitTestCase(
                        name: "02 expect led on within 500ms",
                        classname: "c2d-led",
                        time: 0.5,
                        outcome: .failed(message: "expected LED on; observed LED stayed off", type: "ExpectationFailed", details: "line1\nline2 <&>")
                    ),
                    JUnitTestCase(name: "03 send", classname: "c2d-led", time: 0, outcome: .skipped(message: "step 2 failed")),
                    JUnitTestCase(name: "04 oops", classname: "c2d-led", time: 0, outcome: .errored(message: "boom", type: "StepError", details: "boom")),
                ],
                systemOut: "+ 0.000 ms  device -> hub  CONNECT\u{0}\u{7} control chars\n",
                systemErr: ""
            ),
            JUnitTestSuite(name: "empty", timestamp: Date(timeIntervalSince1970: 0), time: 0),
        ])
    }

    @Test("the report validates against the strict Ant JUnit schema")
    func schemaValid() async throws {
        let xml = JUnitXMLWriter().render(Self.sampleReport())
        try await JUnitSchema.validate(xml: xml)
    }

    @Test("the schema check is real: a report without required attributes is rejected")
    func schemaRejects() async throws {
        let invalid = "<testsuites><testsuite name=\"x\"><properties/></testsuite></testsuites>"
        await #expect(throws: JUnitSchema.ValidationError.self) { try await JUnitSchema.validate(xml: invalid) }
    }

    @Test("counts, times, timestamp and escaping")
    func content() throws {
        let xml = JUnitXMLWriter().render(Self.sampleReport())
        #expect(xml.contains("tests=\"4\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.013\""))
        #expect(xml.contains("timestamp=\"2027-01-15T08:00:00\""))
        #expect(xml.contains("value=\"a &quot;quoted&quot; &lt;value&gt; &amp; more\""))
        #expect(xml.contains("line2 &lt;&amp;&gt;"))
        #expect(xml.contains("\u{0}") == false)
        #expect(xml.contains("<skipped message=\"step 2 failed\"/>"))
        // Parses with a standard XML parser.
        let document = try XMLDocument(xmlString: xml)
        #expect(try document.nodes(forXPath: "//testcase").count == 4)
        #expect(try document.nodes(forXPath: "//property[@name='latency.step-05.ms']/@value").first?.stringValue == "0.412")
    }

    @Test("secrets are masked in every attribute and text")
    func redaction() throws {
        var report = Self.sampleReport()
        report.suites[0].systemOut = "password=SharedAccessSignature sr=h%2Fdevices%2Fd&sig=abc%2Fdef%3D&se=1 key=c2VjcmV0a2V5"
        report.suites[0].properties.append(JUnitProperty("token", "sig=zzz&se=2"))
        let xml = JUnitXMLWriter(redactor: SecretRedactor(secrets: ["c2VjcmV0a2V5"])).render(report)
        #expect(xml.contains("abc%2Fdef") == false)
        #expect(xml.contains("zzz") == false)
        #expect(xml.contains("c2VjcmV0a2V5") == false)
        #expect(xml.contains("sig=***&amp;se=1"))
        #expect(xml.contains("key=***"))
    }

    @Test("seconds are written with millisecond precision", arguments: [(0.0, "0.000"), (0.0004, "0.000"), (0.0125, "0.013"), (1.5, "1.500"), (62.0041, "62.004")])
    func seconds(value: Double, text: String) {
        #expect(JUnitXMLWriter.formatSeconds(value) == text)
    }
}
