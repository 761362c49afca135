import Foundation
@testable import Scenario
import Testing

/// Loading a broker's verdicts file (`conform --expect`): every problem at its place in the
/// file, only known keys, device settings a device takes, statement ids of the standard.
@Suite struct ExpectedVerdictsTests {
    static func verdictsFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verdicts-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The problems loading `text` reports, one `line:column: message` each (the path cut).
    func problems(_ text: String) throws -> [String] {
        let file = try Self.verdictsFile(text)
        do {
            _ = try ExpectedVerdicts.load(path: file)
            return []
        } catch {
            #expect(error.diagnostics.allSatisfy { $0.location.file == file })
            return error.description.split(separator: "\n").map { $0.replacingOccurrences(of: file + ":", with: "") }
        }
    }

    static let text31444 = NormativeStatements.mqtt311["MQTT-3.1.4-4"]?.text ?? ""

    @Test("a wrong text, an unknown id, a failure without 'instead' and a duplicate are each refused at their line and column, all at once")
    func badEntries() throws {
        let lines = try problems("""
            broker: b
            fails:
              - statement: MQTT-3.1.4-4
                text: "paraphrased"
                instead: x
              - statement: MQTT-9.9.9-9
                text: t
                instead: x
              - statement: MQTT-3.2.0-1
                text: "\(NormativeStatements.mqtt311["MQTT-3.2.0-1"]?.text ?? "")"
            not_applicable:
              - statement: MQTT-3.2.0-1
                reason: r

            """)
        #expect(lines.count == 4, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("4:11: error: MQTT-3.1.4-4: 'text' must be the standard's text of the statement") })
        #expect(lines.contains { $0.hasPrefix("6:16: error: 'MQTT-9.9.9-9' is not a normative statement of MQTT 3.1.1") })
        #expect(lines.contains("9:5: error: MQTT-3.2.0-1 needs 'instead': what the broker does instead"))
        #expect(lines.contains("12:16: error: MQTT-3.2.0-1 is listed twice; a statement has one verdict"))
    }

    @Test("misspelt keys, at the top and in entries, are refused with a did-you-mean")
    func unknownKeys() throws {
        let lines = try problems("""
            broker: b
            not_aplicable:
              - statement: MQTT-3.1.4-4
                reason: r
            fails:
              - statement: MQTT-3.1.4-4
                text: "\(Self.text31444)"
                insted: x

            """)
        #expect(lines.contains { $0.hasPrefix("2:1: error: unknown key 'not_aplicable' in the verdicts file (did you mean 'not_applicable'?)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("8:5: error: unknown key 'insted' in a 'fails' entry (did you mean 'instead'?)") }, "\(lines)")
        // 'reason' belongs to not_applicable and not_reached, 'instead' to fails.
        let misplaced = try problems("""
            broker: b
            not_reached:
              - statement: MQTT-3.1.4-4
                instead: x

            """)
        #expect(misplaced.contains { $0.hasPrefix("4:5: error: unknown key 'instead' in a 'not_reached' entry") }, "\(misplaced)")
        #expect(misplaced.contains("3:5: error: MQTT-3.1.4-4 needs a 'reason'"), "\(misplaced)")
    }

    @Test("statement ids misspelt in case or separators are refused with the id they mean; pack-own names are taken")
    func misspeltIDs() throws {
        let lines = try problems("""
            broker: b
            not_reached:
              - statement: mqtt-3.1.4-4
                reason: r
              - statement: MQTT_3.2.0-1
                reason: r
              - statement: IOTHUB-OWN-NAME
                reason: r

            """)
        #expect(lines == [
            "3:16: error: 'mqtt-3.1.4-4' is not a normative statement of MQTT 3.1.1 (did you mean 'MQTT-3.1.4-4'?); the 141 statement ids are listed in Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv",
            "5:16: error: 'MQTT_3.2.0-1' is not a normative statement of MQTT 3.1.1 (did you mean 'MQTT-3.2.0-1'?); the 141 statement ids are listed in Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv",
        ], "\(lines)")
    }

    @Test("device settings must be ones a client device takes, with valid values, each refused at its place")
    func deviceSettings() throws {
        let good = try ExpectedVerdicts.load(path: try Self.verdictsFile("broker: b\ndevice: { username: harness, password: secret, auto_ack: false }\n"))
        #expect(good.device == ["username": "harness", "password": "secret", "auto_ack": "false"])
        let lines = try problems("""
            broker: b
            device:
              usrname: harness
              auto_ack: maybe
              will: { topic: t }

            """)
        #expect(lines.contains { $0.hasPrefix("3:3: error: unknown key 'usrname' in device (did you mean 'username'?)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("4:13: error: ") && $0.contains("auto_ack") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("5:3: error: unknown key 'will' in device") }, "\(lines)")
    }

    @Test("a file that is not a verdicts file says where: empty, a syntax error, a wrong shape, no broker")
    func notAVerdictsFile() throws {
        #expect(try problems("") == ["1:1: error: the verdicts file is empty; it needs at least 'broker' (and 'fails', 'not_applicable' or 'not_reached' lists)"])
        #expect(try problems("broker: [b\n").first?.contains("error: ") == true)
        let shape = try problems("broker: b\nfails: [1, 2]\n")
        #expect(shape.count == 2, "\(shape)")
        #expect(shape.allSatisfy { $0.hasPrefix("2:") && $0.contains("a 'fails' entry must be a mapping") }, "\(shape)")
        #expect(try problems("fails: []\n") == ["1:1: error: the verdicts file is missing required key 'broker'"])
        #expect(try problems("broker: b\nnot_reached: r\n").first?.hasPrefix("2:14: error: not_reached must be a list of statements") == true)
        let unreadable = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).yaml").path
        #expect(throws: ExpectedVerdicts.LoadError.self) { try ExpectedVerdicts.load(path: unreadable) }
    }
}
