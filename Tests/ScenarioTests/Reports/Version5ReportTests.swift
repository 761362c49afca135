import Foundation
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOCore
import Reporting
@testable import Scenario
import Testing

/// The reports of a real MQTT 5.0 exchange (``Version5Exchange``): the trace, JUnit's
/// `<system-out>`, the HTML sequence diagram and the pcap show reason codes by number and name
/// and properties by name; secrets are masked in every one; peer text is escaped.
@Suite(.serialized) struct Version5ReportTests {
    /// The exchange is recorded once for the suite.
    static let exchange = Task { try await Version5Exchange.result() }

    static func result() async throws -> ScenarioResult { try await exchange.value }

    static func redactor(for result: ScenarioResult) -> SecretRedactor {
        var redactor = SecretRedactor()
        for secret in result.secrets { redactor.register(secret) }
        return redactor
    }

    /// Writes the run's files and returns their folder.
    static func writeArtifacts(_ result: ScenarioResult) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-v5-\(UUID().uuidString)").path
        var artifacts = ReportArtifacts(folder: folder)
        return try artifacts.write(result, redactor: redactor(for: result))
    }

    static let secrets = [Version5Exchange.apiToken, Version5Exchange.signature, Version5Exchange.authenticationData]

    @Test("tshark decodes the pcap's packets as MQTT 5.0: version 5, the PUBACK's and CONNACK's reason codes, the user properties and content type")
    func pcapWithTshark() async throws {
        let result = try await Self.result()
        let folder = try Self.writeArtifacts(result)
        let tshark = try ExternalTool.locate("tshark", package: "tshark")
        let pcap = folder + "/trace.pcap"
        let versions = try await ExternalTool.run(tshark, ["-r", pcap, "-Y", "mqtt.msgtype == 1", "-T", "fields", "-e", "mqtt.ver"])
        #expect(versions.status == 0, "\(versions.standardError)")
        #expect(versions.standardOutput.split(separator: "\n") == ["5", "5"], "\(versions.standardOutput)")
        let types = try await ExternalTool.run(tshark, ["-r", pcap, "-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype"])
        #expect(types.standardOutput.split(separator: "\n") == ["1", "2", "3", "4", "14", "1", "2"], "\(types.standardOutput)")
        let puback = try await ExternalTool.run(tshark, ["-r", pcap, "-Y", "mqtt.msgtype == 4", "-T", "fields", "-e", "mqtt.puback.reason_code"])
        #expect(puback.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == "16", "no_matching_subscribers (0x10): \(puback.standardOutput)")
        let connacks = try await ExternalTool.run(tshark, ["-r", pcap, "-Y", "mqtt.msgtype == 2", "-T", "fields", "-e", "mqtt.connack.reason_code"])
        #expect(connacks.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) } == ["0", "140"], "success, then bad_authentication_method (0x8C): \(connacks.standardOutput)")
        let publish = try await ExternalTool.run(
            tshark,
            ["-r", pcap, "-Y", "mqtt.msgtype == 3", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|", "-e", "mqtt.prop_key", "-e", "mqtt.prop_value", "-e", "mqtt.property.content_type", "-e", "mqtt.topic"]
        )
        let fields = publish.standardOutput.trimmingCharacters(in: .newlines).split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        #expect(fields.count == 4, "\(publish.standardOutput)")
        guard fields.count == 4 else { return }
        #expect(fields[0] == "site|sas-signature")
        // The secret-named property keeps its length, masked; the other is as sent.
        #expect(fields[1].hasSuffix("|" + String(repeating: "*", count: Version5Exchange.signature.utf8.count)), "\(fields[1])")
        #expect(fields[2] == Version5Exchange.contentType)
        #expect(fields[3] == "lab/temperature")
        let verbose = try await ExternalTool.run(tshark, ["-r", pcap, "-V", "-Y", "mqtt"])
        #expect(!verbose.standardOutput.contains("Unknown version"), "tshark lost the version")
        #expect(!verbose.standardOutput.contains("Malformed"), "tshark found a malformed packet")
        for secret in Self.secrets {
            #expect(!verbose.standardOutput.contains(secret))
        }
    }

    @Test("the pcap's bytes keep their lengths: only the secrets are overwritten, found from the packets themselves, not from the run's list of secrets")
    func pcapMasksInPlace() async throws {
        let result = try await Self.result()
        // A redactor that knows no secret: the packets say which of their fields are secret.
        let segments = result.makePcapSegments(redactor: SecretRedactor())
        let packets = result.packets
        #expect(segments.count == packets.count)
        for (segment, observation) in zip(segments, packets) {
            #expect(segment.payload.count == observation.record.size)
        }
        let all = segments.flatMap(\.payload)
        let text = String(decoding: all, as: UTF8.self)
        for secret in Self.secrets {
            #expect(!text.contains(secret), "the pcap holds \(secret)")
        }
        #expect(text.contains("api-token"), "the property's name stays")
        #expect(text.contains(Version5Exchange.hostileValue), "a value whose name is not secret stays as sent")
    }

    @Test("trace.jsonl: reason codes by number and name, properties by name, secrets masked, peer text escaped")
    func traceRecords() async throws {
        let result = try await Self.result()
        let folder = try Self.writeArtifacts(result)
        let text = try String(contentsOfFile: folder + "/trace.jsonl", encoding: .utf8)
        for secret in Self.secrets { #expect(!text.contains(secret), "trace.jsonl holds \(secret)") }
        let records = try text.split(separator: "\n").map { try JSONDecoder().decode(TraceRecord.self, from: Data($0.utf8)) }
        let puback = try #require(records.first { $0.type == "PUBACK" })
        #expect(puback.fields["reason"] == "0x10(no_matching_subscribers)")
        #expect(puback.text.contains("reason=0x10(no_matching_subscribers)"))
        let connacks = records.filter { $0.type == "CONNACK" }
        #expect(connacks.last?.fields["reason"] == "0x8C(bad_authentication_method)")
        #expect(connacks.last?.fields["return_code"] == nil, "3.1.1 has no code for it; the nearest would misname it")
        let connect = try #require(records.first { $0.type == "CONNECT" })
        #expect(connect.fields["protocol_level"] == "5")
        #expect(connect.fields["clean_start"] == "1")
        // mosquitto_pub adds a receive maximum of its own.
        #expect(connect.fields["properties"]?.hasPrefix("user_property=api-token:(\(Version5Exchange.apiToken.utf8.count) bytes)") == true)
        let refused = try #require(records.last { $0.type == "CONNECT" })
        #expect(refused.fields["properties"]?.contains("authentication_method=SCRAM-SHA-1 authentication_data=(\(Version5Exchange.authenticationData.utf8.count) bytes)") == true)
        let publish = try #require(records.first { $0.type == "PUBLISH" })
        let properties = try #require(publish.fields["properties"])
        #expect(properties.contains("content_type=text/<plain>"))
        #expect(properties.contains("user_property=sas-signature:(\(Version5Exchange.signature.utf8.count) bytes)"))
        #expect(properties.contains("user_property=site:<b onclick=\"x\">&amp;</b>]]>"), "\(properties)")
    }

    @Test("JUnit <system-out> shows the 5.0 packets, validates against the strict schema with peer markup in it, and holds no secret")
    func junitSystemOut() async throws {
        let result = try await Self.result()
        let suite = result.makeTestSuite()
        #expect(suite.systemOut.contains("PUBACK"))
        #expect(suite.systemOut.contains("reason=0x10(no_matching_subscribers)"))
        #expect(suite.systemOut.contains("reason=0x8C(bad_authentication_method)"))
        #expect(suite.systemOut.contains("protocol=MQTT/5 clean_start=1"))
        #expect(suite.systemOut.contains("content_type=text/<plain>"))
        let xml = JUnitXMLWriter(redactor: Self.redactor(for: result)).render(JUnitReport(suites: [suite]))
        try await JUnitSchema.validate(xml: xml)
        for secret in Self.secrets { #expect(!xml.contains(secret), "JUnit holds \(secret)") }
        #expect(!xml.contains("<b onclick"), "peer markup is escaped")
        #expect(xml.contains("&lt;b onclick="))
    }

    @Test("report.html: the sequence diagram's labels carry the reason codes and properties, escaped, and no secret; Chromium lays it out")
    func htmlDiagram() async throws {
        let result = try await Self.result()
        let folder = try Self.writeArtifacts(result)
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        for secret in Self.secrets { #expect(!html.contains(secret), "report.html holds \(secret)") }
        #expect(html.contains("PUBACK id=1 reason=0x10(no_matching_subscribers)"))
        #expect(html.contains("reason=0x8C(bad_authentication_method)"))
        #expect(html.contains("content_type=text/&lt;plain&gt;"))
        #expect(html.contains("user_property=site:&lt;b onclick="))
        #expect(!html.contains("<b onclick"))
        let chromium = try ExternalTool.locate("chromium", package: "chromium")
        let output = try await ExternalTool.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", "file://" + folder + "/report.html"],
            timeout: .seconds(90)
        )
        let rendered = Int(output.standardOutput.firstMatch(of: /data-rendered="(\d+)"/)?.1 ?? "0") ?? 0
        #expect(rendered >= result.packets.count, "chromium: \(output.standardError.suffix(500))")
        #expect(!output.standardOutput.contains("<b onclick"), "the peer's markup became an element")
    }

    @Test("the run's secrets include what secret-named user properties and authentication data carried, so they are masked anywhere else; a short value (a flag) is not")
    func packetSecretsRegistered() async throws {
        var result = try await Self.result()
        #expect(Set(result.packetSecrets) == Set(Self.secrets))
        // A property named like a secret that carries a flag: masked in its packet, not everywhere.
        let flag = MQTTPacket.publish(PublishPacket(topic: try TopicName("lab/flag"), payload: ByteBuffer(string: "x"), properties: try MQTTProperties([.userProperty(name: "session", value: "true")])))
        let last = try #require(result.entries.last)
        let bytes = try flag.encoded(version: .v5)
        let record = PacketRecord(timestamp: last.time + 1, connection: 1, direction: .outbound, packet: flag, size: bytes.readableBytes, bytes: bytes)
        result.entries.append(RunRecord.Entry(time: last.time + 1, event: .packet(PacketObservation(record: record, vantage: .device, device: try DeviceID("sensor")))))
        #expect(Set(result.packetSecrets) == Set(Self.secrets))
        #expect(!String(decoding: flag.maskingSecrets(in: Array(bytes.readableBytesView)), as: UTF8.self).contains("true"))
        let redactor = Self.redactor(for: result)
        #expect(redactor.redact("echoed \(Version5Exchange.apiToken) in a payload") == "echoed *** in a payload")
    }

    @Test("a broker's DISCONNECT with a reason string carrying a terminal escape and markup: shown with its reason code, escaped in trace, JUnit and HTML")
    func hostileReasonString() async throws {
        var result = try await Self.result()
        let reason = "bye\u{1b}[2J<script>alert(1)</script>&"
        let disconnect = MQTTPacket.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver, properties: try MQTTProperties([.reasonString(reason)])))
        let bytes = try disconnect.encoded(version: .v5)
        let last = try #require(result.entries.last)
        let record = PacketRecord(timestamp: last.time + 1, connection: 1, direction: .inbound, packet: disconnect, size: bytes.readableBytes, bytes: bytes)
        result.entries.append(RunRecord.Entry(time: last.time + 1, event: .packet(PacketObservation(record: record, vantage: .device, device: try DeviceID("sensor")))))
        result.endTime = last.time + 2
        let folder = try Self.writeArtifacts(result)
        let trace = try String(contentsOfFile: folder + "/trace.jsonl", encoding: .utf8)
        #expect(!trace.contains("\u{1b}"))
        let line = try #require(trace.split(separator: "\n").last)
        let traced = try JSONDecoder().decode(TraceRecord.self, from: Data(line.utf8))
        #expect(traced.fields["reason"] == "0x8E(session_taken_over)")
        #expect(traced.fields["properties"] == "reason_string=bye\\u{1b}[2J<script>alert(1)</script>&")
        let suite = result.makeTestSuite()
        #expect(suite.systemOut.contains("DISCONNECT"))
        #expect(suite.systemOut.contains("reason=0x8E(session_taken_over) properties=[reason_string=bye\\u{1b}[2J<script>"))
        let xml = JUnitXMLWriter(redactor: Self.redactor(for: result)).render(JUnitReport(suites: [suite]))
        try await JUnitSchema.validate(xml: xml)
        #expect(!xml.contains("<script>") && !xml.contains("\u{1b}"))
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(!html.contains("<script>alert") && !html.contains("\u{1b}"))
        #expect(html.contains("reason=0x8E(session_taken_over)"))
        let tshark = try ExternalTool.locate("tshark", package: "tshark")
        let decoded = try await ExternalTool.run(tshark, ["-r", folder + "/trace.pcap", "-Y", "mqtt.msgtype == 14", "-T", "fields", "-e", "mqtt.disconnect.reason_code"])
        #expect(decoded.standardOutput.split(separator: "\n").last == "142", "\(decoded.standardOutput)")
    }
}
