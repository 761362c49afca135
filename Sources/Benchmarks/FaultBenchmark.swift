import Foundation
import IoTHubCore
import MQTTCore
import NIOPosix
import Scenario

/// `harness bench faults`: how exactly a `delay` fault shapes C2D latency, and that devices it
/// does not name are left alone. Two simulated devices on the simulated hub (TLS) each get
/// `messages` C2D messages at a steady pace, once without faults and once with a delay fault on
/// the first device only; the latency of each message is the time from the hub queueing it to
/// the device's codec reading its PUBLISH, both on the run's one clock.
public struct FaultBenchmark: Sendable {
    public struct Settings: Sendable {
        public var messages: Int
        public var delay: Duration
        /// The wait between two sends to the same device.
        public var pace: Duration

        public init(messages: Int = 1000, delay: Duration = .milliseconds(200), pace: Duration = .milliseconds(5)) {
            self.messages = messages
            self.delay = delay
            self.pace = pace
        }
    }

    /// Latency percentiles of one device in one run, in milliseconds.
    public struct Latencies: Sendable {
        public var p50: Double
        public var p99: Double
        public var count: Int
    }

    /// What the benchmark measured.
    public struct Results: Sendable {
        public var baseline: (faulted: Latencies, other: Latencies)
        public var withFault: (faulted: Latencies, other: Latencies)
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public func run(progress: @Sendable (String) -> Void) async throws -> Results {
        progress("baseline: \(settings.messages) C2D to each of 2 devices, no fault")
        let baseline = try await measure(fault: nil)
        progress("with fault: delay \(ScenarioDuration.format(settings.delay)) to the device on 'slow' only")
        let faulted = try await measure(fault: "  - fault: { kind: delay, device: slow, delay: \(ScenarioDuration.format(settings.delay)), direction: to_device }\n")
        return Results(baseline: baseline, withFault: faulted)
    }

    /// One run: the scenario's record, read per device.
    private func measure(fault: String?) async throws -> (faulted: Latencies, other: Latencies) {
        // Both devices connect through a proxy in both runs (a fault step names each: `refuse`
        // and its heal, after both connected, touch no open connection), so the only
        // difference between the runs is the delay itself.
        let yaml = """
            name: bench-faults
            devices: [{ id: slow, profile: umqtt-robust }, { id: other, profile: umqtt-robust }]
            steps:
              - { device: slow, connect: { clean_session: false, keepalive: 60 } }
              - { device: other, connect: { clean_session: false, keepalive: 60 } }
              - { device: slow, subscribe: { topic: devices/slow/messages/devicebound/#, qos: 1 } }
              - { device: other, subscribe: { topic: devices/other/messages/devicebound/#, qos: 1 } }
              - fault: { kind: refuse, device: all }
              - heal: {}
            \(fault ?? "")  - repeat: \(settings.messages)
                steps:
                  - { device: slow, send: "on" }
                  - { device: other, send: "on" }
                  - wait: \(ScenarioDuration.format(settings.pace))
              - { device: slow, expect: { delivered: all, within: 30s } }
              - { device: other, expect: { delivered: all, within: 30s } }
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "bench-faults.yaml")
        let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, seed: 1))
        let result = await runner.run(scenario)
        guard result.isPassed else {
            let first = result.steps.first { step in
                if case .failed = step.status { return true }
                if case .errored = step.status { return true }
                return false
            }
            var reason = result.setupError ?? "a step did not pass"
            if let first {
                switch first.status {
                case .failed(let failure): reason = "step \(first.step.number) (\(first.step.title)): \(failure)"
                case .errored(let message): reason = "step \(first.step.number) (\(first.step.title)): \(message)"
                default: break
                }
            }
            throw BenchmarkError(description: "the benchmark's scenario failed: \(reason)")
        }
        return (try latencies(of: "slow", in: result), try latencies(of: "other", in: result))
    }

    private func latencies(of name: String, in result: ScenarioResult) throws -> Latencies {
        let device = try DeviceID(name)
        var queued: [String: UInt64] = [:]
        var samples: [Double] = []
        for entry in result.entries {
            if case .cloud(.messageQueued(device, let id, _)) = entry.event { queued[id] = entry.time }
            if let id = DeliveryLedger.delivered(entry, device: device, vantage: .device), let sent = queued.removeValue(forKey: id) {
                samples.append(Double(entry.time &- sent) / 1e6)
            }
        }
        samples.sort()
        func percentile(_ fraction: Double) -> Double {
            samples.isEmpty ? .nan : samples[min(samples.count - 1, max(0, Int((fraction * Double(samples.count)).rounded(.up)) - 1))]
        }
        return Latencies(p50: percentile(0.5), p99: percentile(0.99), count: samples.count)
    }
}
