import Foundation
import MQTTCore
import Scenario
import Testing

/// The committed MQTT 5.0 statement table, served by the same mechanism as the 3.1.1 one.
@Suite struct NormativeStatements5Tests {
    @Test("the committed MQTT 5.0 list: 251 statements, each id once with its text; the codec's MQTT 5.0 statement ids are all in it")
    func standardList() {
        let standard = NormativeStatements.mqtt5
        #expect(standard.all.count == 251)
        #expect(Set(standard.all.map(\.id)).count == standard.all.count)
        #expect(standard.all.allSatisfy { $0.text.contains("MUST") || $0.text.contains("can be") || $0.text.contains("Protocol Error") })
        #expect(standard.name == "MQTT 5.0")
        #expect(standard["MQTT-3.1.2-4"]?.text == "If a CONNECT packet is received with Clean Start is set to 1, the Client and Server MUST discard any existing Session and start a new Session.")
        #expect(standard["MQTT-3.3.1-10"]?.text.hasPrefix("If Retain Handling is set to 1 then if the subscription did not already exist") == true)
        #expect(standard["MQTT-4.2.0-1"] != nil)
        #expect(standard["MQTT-6.0.0-4"] != nil)
        // 3.1.1's own spelling is not an MQTT 5.0 id; its 5.0 counterpart is.
        #expect(standard["MQTT-3-8.3-4"] == nil)
        #expect(standard["MQTT-3.8.3-4"]?.text == "It is a Protocol Error to set the No Local bit to 1 on a Shared Subscription.")
        // Every statement the codec names when it refuses an MQTT 5.0 packet is one of the standard's.
        let root = ScenarioLoaderTests.repositoryRoot
        var ids: [String] = []
        for file in ["Sources/MQTTCore/Codec/MQTTDecodingError+Statement5.swift", "Sources/MQTTCore/Properties/MQTTPropertyError.swift"] {
            let source = (try? String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)) ?? ""
            ids += source.matches(of: /(MQTT-[0-9][0-9.\-]*[0-9])/).map { String($0.1) }
        }
        #expect(ids.count >= 50)
        for id in ids { #expect(standard[id] != nil, "\(id) from the codec is not in the MQTT 5.0 list") }
    }

    @Test("a misspelt MQTT 5.0 id is refused with the id it means and the MQTT 5.0 table named")
    func misspelt() {
        let problem = NormativeStatements.mqtt5.problem(with: "mqtt-3.3.2-20") ?? ""
        #expect(problem.hasPrefix("'mqtt-3.3.2-20' is not a normative statement of MQTT 5.0 (did you mean 'MQTT-3.3.2-20'?)"), "\(problem)")
        #expect(problem.hasSuffix("the 251 statement ids are listed in Sources/Scenario/Resources/mqtt-5.0-statements.tsv"))
        #expect(NormativeStatements.mqtt5.problem(with: "PAHO-shared-subscriptions") == nil)
        #expect(NormativeStatements.of(.v5).name == "MQTT 5.0")
        #expect(NormativeStatements.of(.v311).name == "MQTT 3.1.1")
    }
}
