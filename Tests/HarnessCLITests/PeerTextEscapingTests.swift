import ArgumentParser
import Foundation
@testable import HarnessCLI
import HarnessTestSupport
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// Text a peer sends (client ids, user names, HTTP paths, topics) cannot forge a line or
/// drive a terminal in the hub log, the console, JUnit, the trace or the HTML report.
@Suite(.serialized) struct PeerTextEscapingTests {
    static let forged = "19:00:00.000 #1 FORGED esp8266 connected"
    /// A client id with a line break, a forged log line, and ANSI escapes (clear screen, set
    /// the terminal title) and markup.
    static let hostileClientID = "evil\n\(forged)\u{1b}[2J\u{1b}]0;pwned\u{7}<script>alert(1)</script>"

    static func isForged(_ line: Substring) -> Bool {
        line.hasPrefix("19:00:00.000 #1 FORGED") || line.contains("\n") || line.contains("\u{1b}") || line.contains("\u{7}")
    }

    @Test("harness hub's log: a client that never authenticates cannot forge a line with its client id, user name or an HTTP path")
    func hubLog() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-escape-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = LineSink()
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "esp8266", "--port", "0", "--plain-port", "0", "--state-file", "\(folder)/s.json"]) as? Hub)
        let session = try await HubSession.start(try command.makeSettings(), group: MultiThreadedEventLoopGroup.singleton, log: HubLog(showsPackets: true) { lines.append($0) })
        do {
            let client = try await MQTTTestClient.connect(port: try #require(session.endpoints.plainPort), group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(ConnectPacket(clientID: Self.hostileClientID, keepAlive: 60, username: "x\r\n\(Self.forged)\u{1b}[31m", password: ByteBuffer(string: "y"))))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            let http = try await RawSocketClient.connect(port: try #require(URL(string: session.serviceURL)?.port))
            await http.write("GET /devices/a%0A19:00:00.000%20#1%20FORGED%1B%5B2J?api-version=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await http.waitForBytes(12, timeout: .seconds(5)))
            await http.close()
            try await Task.sleep(for: .milliseconds(100))
        } catch {
            await session.stop()
            throw error
        }
        await session.stop()
        let all = lines.all
        #expect(all.contains { $0.contains("refused 'evil\\n19:00:00.000 #1 FORGED esp8266 connected\\u{1b}[2J\\u{1b}]0;pwned\\u{7}") }, "\(all)")
        #expect(all.contains { $0.contains("<- CONNECT client_id=evil\\n") }, "\(all)")
        #expect(all.contains { $0.contains("service: GET /devices/") }, "\(all)")
        for line in all {
            #expect(!Self.isForged(Substring(line)), "\(line)")
        }
    }

    @Test("harness run: the hub's refusal quoting a hostile client id is escaped on the console, in JUnit, the trace and the HTML report")
    func runReports() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-escape-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // YAML's double-quoted escapes: \n, \e (ESC) and \a (BEL).
        let scenario = """
            name: hostile
            device: { id: esp8266, kind: client, client_id: "evil\\n\(Self.forged)\\e[2J\\e]0;pwned\\a<script>alert(1)</script><img src=x onerror=alert(2)>" }
            steps:
              - connect: { clean_session: true }
              - expect: { connack: accepted, within: 1s }
              - publish: { topic: "devices/esp8266/messages/events/", payload: "<b>bold</b>\\e[31m" }
            """
        try Data(scenario.utf8).write(to: URL(fileURLWithPath: "\(folder)/hostile.yaml"))
        let output = try await HarnessBinary.run(["run", "hostile.yaml", "--reports", "out", "--junit", "out/junit.xml"], in: folder)
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        for line in (output.standardOutput + output.standardError).split(separator: "\n") {
            #expect(!Self.isForged(line), "\(line)")
        }
        let junit = try String(contentsOfFile: "\(folder)/out/junit.xml", encoding: .utf8)
        #expect(junit.contains("refused &apos;evil\\n19:00:00.000") || junit.contains("refused 'evil\\n19:00:00.000"), "\(junit)")
        for line in junit.split(separator: "\n") {
            #expect(!line.contains("FORGED") || line.contains("\\n19:00:00.000 #1 FORGED"), "\(line)")
            #expect(!line.contains("\u{1b}") && !line.contains("\u{7}") && !line.contains("&#10;19:00"), "\(line)")
        }
        let html = try String(contentsOfFile: "\(folder)/out/hostile/report.html", encoding: .utf8)
        #expect(html.contains("FORGED"))
        #expect(!html.contains("<script>alert(1)") && !html.contains("<img src=x") && !html.contains("\u{1b}"))
        // What a browser makes of it: no element from the client id, the text shown escaped.
        let chromium = try ExternalTool.locate("chromium", package: "chromium")
        let dom = try await ExternalTool.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", "file://\(folder)/out/hostile/report.html"],
            timeout: .seconds(90)
        )
        #expect(dom.status == 0, "\(dom.standardError)")
        #expect(dom.standardOutput.contains("FORGED"))
        #expect(!dom.standardOutput.contains("<script>alert(1)") && !dom.standardOutput.contains("<img src=\"x\"") && !dom.standardOutput.contains("<b>bold"))
        // index.html: the run with its failed step, nothing of the client id's markup.
        let index = try String(contentsOfFile: "\(folder)/out/index.html", encoding: .utf8)
        #expect(index.contains("href=\"./hostile/report.html\"") && index.contains("expect connack accepted"))
        #expect(!index.contains("<script>alert(1)") && !index.contains("<img src=x") && !index.contains("\u{1b}"))
        let indexDOM = try await ExternalTool.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", "file://\(folder)/out/index.html"],
            timeout: .seconds(90)
        )
        #expect(indexDOM.standardOutput.contains("data-rendered=\"1\""), "\(indexDOM.standardError.suffix(500))")
        #expect(!indexDOM.standardOutput.contains("<script>alert(1)") && !indexDOM.standardOutput.contains("<img src=\"x\""))
        // trace.jsonl: JSON escapes every control character; one record per line.
        let trace = try String(contentsOfFile: "\(folder)/out/hostile/trace.jsonl", encoding: .utf8)
        for line in trace.split(separator: "\n") {
            #expect(line.hasPrefix("{") && !line.contains("\u{1b}"), "\(line)")
        }
    }
}
