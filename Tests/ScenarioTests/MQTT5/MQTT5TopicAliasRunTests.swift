import HarnessTestSupport
import NIOPosix
import Scenario
import Testing

/// Topic aliases out, written in the scenario language: a publish sets alias 1 up with its
/// topic, the next one sends an empty topic with the alias, and Mosquitto delivers it on the
/// aliased topic. An empty topic without an alias is a load error.
@Suite(.serialized) struct MQTT5TopicAliasRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 5))

    static func scenario(aliasOfSecond: Int) -> String {
        """
        devices:
          - { id: alias-out, kind: client, protocol: 5 }
          - { id: alias-watch, kind: client, protocol: 5 }
        steps:
          - { device: alias-watch, connect: {} }
          - { device: alias-watch, subscribe: { topic: "harness/alias/#", qos: 1 } }
          - { device: alias-out, connect: {} }
          - { device: alias-out, publish: { topic: harness/alias/a, payload: x, qos: 1, properties: { topic_alias: 1 } } }
          - { device: alias-out, publish: { topic: harness/alias/b, payload: set, qos: 1, properties: { topic_alias: 2 } } }
          - { device: alias-out, publish: { topic: "", payload: y, qos: 1, properties: { topic_alias: \(aliasOfSecond) } } }
          - { device: alias-watch, expect: { publish: { topic: harness/alias/a, payload: y }, within: 2s } }
        """
    }

    func run(_ yaml: String, on broker: Mosquitto) async throws -> ScenarioResult {
        await runner.run(try ScenarioLoader.load(yaml: yaml, path: "alias.yaml", options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)")))
    }

    @Test("an empty topic with a topic alias is delivered on the aliased topic; the other alias delivers it elsewhere and the expectation fails")
    func aliasOut() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let passed = try await run(Self.scenario(aliasOfSecond: 1), on: broker)
        #expect(passed.isPassed, "\(passed.steps.map { "\($0.step.title): \($0.status)" })")
        #expect(passed.steps[5].step.title.contains("to its topic alias"))
        let failed = try await run(Self.scenario(aliasOfSecond: 2), on: broker)
        #expect(!failed.isPassed)
        #expect(failed.steps[6].status != .passed, "alias 2 stands for harness/alias/b: \(failed.steps[6].status)")
    }

    @Test("an empty publish topic without a topic alias is a load error that says what it needs")
    func emptyTopicWithoutAlias() {
        let yaml = """
            hub: "mqtt://127.0.0.1:1883"
            device: { id: c5, kind: client, protocol: 5 }
            steps:
              - publish: { topic: "", payload: y }
            """
        #expect(throws: ScenarioLoadError.self) { try ScenarioLoader.load(yaml: yaml, path: "alias.yaml") }
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "alias.yaml")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["publish topic: topic is empty [MQTT-4.7.3-1] (an empty topic needs a topic_alias property set up by an earlier publish)"])
        }
    }
}
