import Foundation
import NIOPosix
import Scenario

/// `harness bench soak`: a seeded chaos soak of the umqtt-robust and sdk profiles on the
/// simulated hub, for minutes rather than the seconds the shipped chaos scenario takes. C2D
/// "on" and "off" keep coming while drops, half-open links, delays, throttling and hub
/// restarts strike at random; no message may be lost, the LED must end on the last one, and
/// every drop must be followed by a reconnect within the profile's retry time.
public struct SoakBenchmark: Sendable {
    public struct Settings: Sendable {
        public var duration: Duration
        public var seed: UInt64

        public init(duration: Duration, seed: UInt64) {
            self.duration = duration
            self.seed = seed
        }
    }

    /// One profile's soak.
    public struct Outcome: Sendable {
        public var profile: String
        public var passed: Bool
        public var iterations: Int
        public var strikes: Int
        public var detail: String
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The soak scenario of one profile: the retry time of the profile bounds its reconnects
    /// (umqtt.robust retries every 2 s, the SDK every 10 s, after a hub that answers a
    /// throttled CONNECT with 3).
    public func scenario(profile: String) -> String {
        let reconnect = profile == "sdk" ? "25s" : "10s"
        let throttle = profile == "sdk" ? "\n        - { kind: throttle, for: 3s }" : ""
        return """
            name: soak-\(profile)
            hub: { kind: simulated, throttle_connack: 3 }
            device: { id: esp8266, profile: \(profile) }
            steps:
              - connect: { clean_session: false, keepalive: 30 }
              - expect: { connack: accepted, within: 1s }
              - subscribe: { topic: devices/esp8266/messages/devicebound/#, qos: 1 }
              - chaos:
                  for: \(ScenarioDuration.format(settings.duration))
                  every: 2s..8s
                  seed: \(settings.seed)
                  faults:
                    - { kind: drop }
                    - { kind: close }
                    - { kind: blackhole, for: 5s }
                    - { kind: delay, delay: 150ms, jitter: 50ms, for: 10s }
                    - { kind: slice, bytes: 3, for: 10s }
                    - { kind: restart, for: 2s }\(throttle)
                  invariants: [delivered, led_follows_delivered, { reconnected_within: \(reconnect) }]
                steps:
                  - send: "on"
                  - wait: 500ms
                  - send: "off"
                  - wait: 500ms
            """
    }

    public func run(progress: @Sendable (String) -> Void) async throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for profile in ["umqtt-robust", "sdk"] {
            progress("\(profile): chaos for \(ScenarioDuration.format(settings.duration)), seed \(settings.seed)")
            let scenario = try ScenarioLoader.load(yaml: scenario(profile: profile), path: "soak-\(profile).yaml")
            let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, seed: settings.seed))
            let result = await runner.run(scenario)
            let chaos = result.steps.last?.chaos
            let failed = result.steps.first { !$0.status.isPassed }
            outcomes.append(
                Outcome(
                    profile: profile,
                    passed: result.isPassed,
                    iterations: chaos?.iterations ?? 0,
                    strikes: chaos?.strikes.count ?? 0,
                    detail: failed.map { "\($0.step.title): \($0.status)" } ?? chaos.map(ScenarioResult.describe) ?? ""
                )
            )
        }
        return outcomes
    }
}
