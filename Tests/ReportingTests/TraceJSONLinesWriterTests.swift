import Foundation
import Reporting
import Testing

@Suite struct TraceJSONLinesWriterTests {
    @Test("each record is one line of JSON, keys sorted, secrets masked")
    func lines() throws {
        let records = [
            TraceRecord(time: 0.5, kind: "packet", device: "esp8266", direction: "to_hub", vantage: "hub", type: "CONNECT", size: 120, fields: ["password": "SharedAccessSignature sr=x&sig=SECRETSIG&se=1"], text: "CONNECT sig=SECRETSIG"),
            TraceRecord(time: 0.6, kind: "device", device: "esp8266", type: "led", text: "LED on"),
        ]
        let text = TraceJSONLinesWriter().render(records)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!text.contains("SECRETSIG"))
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["type"] as? String == "CONNECT")
        #expect(lines[1].hasPrefix("{\"device\":\"esp8266\",\"fields\":{},\"kind\":\"device\""))
    }

    @Test("a peer's control characters are escaped in every string, so the file cannot drive a terminal or split a line")
    func controlCharacters() throws {
        let hostile = "19:00:00.000 FORGED\u{1b}[31mRED\r\u{2028}\u{202e}RTL\u{85}"
        let record = TraceRecord(time: 0, kind: "hub", device: hostile, type: hostile, fields: [hostile: hostile], text: hostile)
        let text = TraceJSONLinesWriter().render([record])
        for raw in ["\u{1b}", "\u{2028}", "\u{202e}", "\u{85}", "\r"] {
            #expect(!text.contains(raw), "raw \(raw.unicodeScalars.first.map { String($0.value, radix: 16) } ?? "") written")
        }
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 2)
        // The escapes are there for a reader, in each string.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let shown = "19:00:00.000 FORGED\\u{1b}[31mRED\\r\\u{2028}\\u{202e}RTL\\u{85}"
        #expect(object["text"] as? String == shown)
        #expect(object["device"] as? String == shown)
        #expect(object["type"] as? String == shown)
        #expect((object["fields"] as? [String: String])?[shown] == shown)
    }
}
