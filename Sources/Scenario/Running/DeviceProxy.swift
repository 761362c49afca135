import Devices
import Foundation
import IoTHubCore
import MQTTCore
import NetworkTap

/// The proxy one device connects through: it records the packets of firmware on a plain
/// broker (the tap) and carries out the network faults that strike the device.
struct DeviceProxy: Sendable {
    let proxy: TapProxy
    let host: String
    let port: Int
    /// Whether the proxy decodes and records the device's packets (plain MQTT only).
    let recordsPackets: Bool

    /// Starts a proxy for `id` in front of `upstream`. Its observer puts what it sees on the
    /// record: the closes and failures a tap sees as the device's own, and every connection a
    /// fault reset, closed or refused as the fault's effect.
    static func start(
        for id: DeviceID,
        listen: DeviceSpec.TapAddress,
        upstream: DeviceEndpoint,
        recordsPackets: Bool,
        environment: RunEnvironment,
        record: RunRecord
    ) async throws -> DeviceProxy {
        let clock = environment.clock
        let effect: @Sendable (String) -> Void = { detail in
            record.append(.fault(FaultEvent(phase: .effect, kind: "network", device: id, target: id.string, detail: detail)), at: clock.nanoseconds())
        }
        let proxy = TapProxy(
            upstreamHost: upstream.host,
            upstreamPort: upstream.port,
            group: environment.group,
            tap: recordsPackets ? TapProxyRecordTap(runRecord: record, device: id) : nil,
            clock: clock,
            seed: environment.seed ^ Self.fnv1a(id.string),
            observer: { event in
                switch event {
                case .closed where recordsPackets:
                    record.append(.device(id, .disconnected(reason: "connection closed (seen at the tap proxy)")), at: clock.nanoseconds())
                case .upstreamFailed(_, let reason):
                    record.append(.device(id, .transportFailed(reason: "the proxy could not reach the hub: \(reason)")), at: clock.nanoseconds())
                case .resetByFault, .closedByFault, .refused, .listenFailed:
                    effect(event.description)
                case .opened, .malformed, .closed, .faultApplied, .faultHealed, .stoppedListening, .listening:
                    break
                }
            }
        )
        let port = try await proxy.start(host: listen.host, port: listen.port)
        return DeviceProxy(proxy: proxy, host: listen.host, port: port, recordsPackets: recordsPackets)
    }

    /// A hash of the device id that is the same in every process (Swift's `hashValue` is
    /// not), so each device's jitter follows from the run's seed alone.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

extension DeviceProxy: NetworkFaultPath {
    func begin(_ fault: FaultKind) async throws -> String? {
        guard let link = LinkFault(fault) else { throw FaultError(description: "'\(fault.name)' is not a network fault") }
        let outcome = try await proxy.apply(link)
        if let failure = outcome.listenerFailure { throw FaultError(description: failure) }
        return outcome.effectDescription
    }

    func end(_ fault: FaultKind) async throws {
        guard let link = LinkFault(fault) else { return }
        let outcome = await proxy.heal(link.kind)
        if let failure = outcome.listenerFailure { throw FaultError(description: failure) }
    }
}

extension LinkFault {
    /// The proxy's form of a scenario's network fault; `nil` for hub faults.
    init?(_ fault: FaultKind) {
        func directions(_ direction: FaultDirection) -> LinkDirections {
            switch direction {
            case .both: .both
            case .toHub: .toHub
            case .toDevice: .toDevice
            }
        }
        switch fault {
        case .drop: self = .drop
        case .close: self = .close
        case .blackhole: self = .blackhole
        case .refuse: self = .refuse
        case .partition: self = .partition
        case .delay(let delay, let jitter, let direction): self = .delay(delay, jitter: jitter, directions: directions(direction))
        case .bandwidth(let rate, let direction): self = .bandwidth(bytesPerSecond: rate, directions: directions(direction))
        case .slice(let bytes, let direction): self = .slice(bytes: bytes, directions: directions(direction))
        case .restart, .throttle, .authError, .quotaExceeded, .certificateExpired, .certificateWrongName, .certificateUntrusted, .caRotation, .clockSkew:
            return nil
        }
    }
}

extension FaultOutcome {
    /// What the fault did to the connections, without the fault's own description: `reset 1
    /// connection`, `1 open, and every new one, affected`.
    var effectDescription: String {
        let text = description
        guard let colon = text.range(of: ": ") else { return text }
        return String(text[colon.upperBound...])
    }
}
