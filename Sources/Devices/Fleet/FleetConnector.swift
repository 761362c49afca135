import IoTHubCore
import MQTTCore

/// Connects a fleet of devices at a given rate (a scenario's `connect_rate: 1000/s`), with at
/// most ``maximumInFlight`` connects waiting for their answer at a time, and reports each
/// member's outcome and connect latency: from the moment its connect starts (the device opens
/// its connection, TLS and all; the instant the connector lets it go) to its CONNACK.
///
/// ```swift
/// let connector = try FleetConnector(connectsPerSecond: 1000, maximumInFlight: 200)
/// let report = await connector.connect(members) { outcome in progress.connected(outcome) }
/// if report.accepted < members.count { ... report.outcomes.filter { !$0.result.isAccepted } ... }
/// ```
///
/// Pacing is a ``ConnectPacer`` (a token bucket); the time comes from an injected clock.
/// When the calling task is cancelled, no further connect starts; those that started are
/// waited for, and the rest are reported ``Result/notStarted``.
public struct FleetConnector: Sendable {
    /// One device of the fleet and how it connects.
    public struct Member: Sendable {
        public var device: any Device
        public var request: ConnectRequest

        public init(device: any Device, request: ConnectRequest) {
            self.device = device
            self.request = request
        }
    }

    /// How one member's connect ended.
    public enum Result: Sendable, Hashable, CustomStringConvertible {
        /// CONNACK 0.
        case accepted
        /// A CONNACK with another code.
        case refused(ConnectReturnCode)
        /// The peer answered; the device's kind does not say with which code (it is not
        /// ``ConnAckReporting``), so its events tell.
        case answered
        /// No CONNACK: the connection failed or ended first, the device cannot connect, or the
        /// peer broke the protocol; `reason` says which.
        case failed(reason: String)
        /// The connector was cancelled before this member's turn.
        case notStarted

        /// Whether the member is connected (CONNACK 0).
        public var isAccepted: Bool { self == .accepted }

        public var description: String {
            switch self {
            case .accepted: "connected (CONNACK 0)"
            case .refused(let code): "refused with CONNACK \(code)"
            case .answered: "answered"
            case .failed(let reason): reason
            case .notStarted: "not started (cancelled)"
            }
        }
    }

    /// One member's outcome.
    public struct Outcome: Sendable, Hashable {
        /// The member's position in the list given to ``connect(_:onOutcome:)``.
        public var index: Int
        public var deviceID: DeviceID
        public var result: Result
        /// When its connect started (the pacer let it go), on the connector's clock
        /// (nanoseconds); `nil` when it did not start.
        public var started: UInt64?
        /// When the connect returned (CONNACK, or the failure); `nil` when it did not start.
        public var finished: UInt64?

        public init(index: Int, deviceID: DeviceID, result: Result, started: UInt64?, finished: UInt64?) {
            self.index = index
            self.deviceID = deviceID
            self.result = result
            self.started = started
            self.finished = finished
        }

        /// From the start of the connect to its answer, nanoseconds.
        public var latencyNanoseconds: UInt64? {
            guard let started, let finished else { return nil }
            return finished >= started ? finished - started : 0
        }

        /// From the start of the connect to its answer.
        public var latency: Duration? { latencyNanoseconds.map { .nanoseconds(Int64(clamping: $0)) } }
    }

    /// Every member's outcome, in the members' order.
    public struct Report: Sendable, Hashable {
        public var outcomes: [Outcome]

        public init(outcomes: [Outcome]) {
            self.outcomes = outcomes
        }

        /// Members connected with CONNACK 0.
        public var accepted: Int { outcomes.count { $0.result.isAccepted } }

        /// Members not connected, in order.
        public var notAccepted: [Outcome] { outcomes.filter { !$0.result.isAccepted } }

        /// From the first connect's start to the last connect's answer; zero when none started.
        public var elapsed: Duration {
            let starts = outcomes.compactMap(\.started)
            let ends = outcomes.compactMap(\.finished)
            guard let first = starts.min(), let last = ends.max(), last >= first else { return .zero }
            return .nanoseconds(Int64(clamping: last - first))
        }

        /// The connect latencies of the accepted members, nanoseconds, in the members' order.
        public var acceptedLatencies: [UInt64] {
            outcomes.compactMap { $0.result.isAccepted ? $0.latencyNanoseconds : nil }
        }
    }

    /// Why a connector cannot be made.
    public struct SettingsError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Connects a second; `nil`: as fast as ``maximumInFlight`` lets them.
    public let connectsPerSecond: Double?
    /// Connects started and not yet answered, at most. Keep it below what the broker lets wait
    /// for CONNACK: the simulated hub closes connections beyond 256 pending ones
    /// (`HubConfiguration.maximumPendingConnections`).
    public let maximumInFlight: Int
    /// The pacer's burst (see ``ConnectPacer``); `nil`: its default, 10 ms of connects.
    public let burst: Int?
    /// The clock of the pacing and of the outcomes' times.
    public let clock: any MonotonicClock

    /// - Throws: ``SettingsError`` when the rate is not positive and finite (at most
    ///   1,000,000 a second), `maximumInFlight` is below 1, or `burst` is below 1.
    public init(connectsPerSecond: Double? = nil, maximumInFlight: Int = 100, burst: Int? = nil, clock: any MonotonicClock = SystemMonotonicClock()) throws(SettingsError) {
        guard maximumInFlight >= 1 else { throw SettingsError(description: "connects in flight must be at least 1, not \(maximumInFlight)") }
        if let connectsPerSecond {
            do {
                _ = try ConnectPacer(rate: connectsPerSecond, burst: burst, now: 0)
            } catch {
                throw SettingsError(description: error.description)
            }
        } else if let burst, burst < 1 {
            throw SettingsError(description: "a connect burst must be at least 1, not \(burst)")
        }
        self.connectsPerSecond = connectsPerSecond
        self.maximumInFlight = maximumInFlight
        self.burst = burst
        self.clock = clock
    }

    /// Connects every member, paced and bounded, and returns when each connect has ended.
    /// - Parameter onOutcome: called with each member's outcome as its connect ends (from the
    ///   connect's task, in no particular order), for live progress; must not block.
    public func connect(_ members: [Member], onOutcome: (@Sendable (Outcome) -> Void)? = nil) async -> Report {
        let clock = self.clock
        var outcomes: [Outcome?] = Array(repeating: nil, count: members.count)
        var pacer = connectsPerSecond.flatMap { try? ConnectPacer(rate: $0, burst: burst, now: clock.nanoseconds()) }
        await withTaskGroup(of: Outcome.self) { group in
            var next = 0
            var inFlight = 0
            while next < members.count, !Task.isCancelled {
                if inFlight >= maximumInFlight {
                    if let outcome = await group.next() {
                        outcomes[outcome.index] = outcome
                        inFlight -= 1
                    }
                    continue
                }
                var starting = min(maximumInFlight - inFlight, members.count - next)
                let now = clock.nanoseconds()
                if pacer != nil {
                    starting = pacer?.take(upTo: starting, now: now) ?? starting
                    if starting == 0 {
                        let wait = (pacer?.nextToken(now: now) ?? now) &- now
                        try? await Task.sleep(for: .nanoseconds(Int64(clamping: max(wait, 1))))
                        continue
                    }
                }
                for _ in 0..<starting {
                    let index = next
                    let member = members[index]
                    group.addTask {
                        let outcome = await Self.connect(member, index: index, started: now, clock: clock)
                        onOutcome?(outcome)
                        return outcome
                    }
                    next += 1
                    inFlight += 1
                }
            }
            for await outcome in group { outcomes[outcome.index] = outcome }
        }
        let all = outcomes.enumerated().map { index, outcome in
            outcome ?? Outcome(index: index, deviceID: members[index].device.id, result: .notStarted, started: nil, finished: nil)
        }
        for outcome in all where outcome.result == .notStarted { onOutcome?(outcome) }
        return Report(outcomes: all)
    }

    /// Connects one member, started at `started` (when the pacer let it go), and times it.
    static func connect(_ member: Member, index: Int, started: UInt64, clock: any MonotonicClock) async -> Outcome {
        let result: Result
        do {
            if let device = member.device as? any ConnAckReporting {
                result = Result(try await device.connectReportingConnAck(member.request))
            } else {
                result = Result(ConnectAnswer(outcome: try await member.device.connect(member.request), returnCode: nil))
            }
        } catch {
            result = .failed(reason: "\(error)")
        }
        return Outcome(index: index, deviceID: member.device.id, result: result, started: started, finished: clock.nanoseconds())
    }
}

extension FleetConnector.Result {
    /// A connect's answer as a fleet member's result.
    init(_ answer: ConnectAnswer) {
        switch answer.outcome {
        case .answered:
            switch answer.returnCode {
            case .accepted?: self = .accepted
            case let code?: self = .refused(code)
            case nil: self = .answered
            }
        case .connectionEnded(let reason), .unsupported(let reason), .protocolViolation(let reason), .refused(let reason):
            self = .failed(reason: reason)
        }
    }
}
