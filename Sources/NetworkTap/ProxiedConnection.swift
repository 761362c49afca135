import NIOCore

/// One device's connection through the tap proxy, from accept to close; confined to the
/// device channel's event loop (the hub's channel is on the same loop). It carries out what a
/// fault decides for open connections: take new shaping, reset, or close.
final class ProxiedConnection {
    /// The connection's number in the proxy's events and the tap's records.
    let number: UInt64
    let device: any Channel
    private let seed: UInt64
    private var conditions: LinkConditions
    private var glue: (device: GlueHandler, hub: GlueHandler)?
    private var upstream: (any Channel)?
    /// A fault reset or closed it.
    private(set) var isCut = false
    /// The device's channel closed (set from its close future, on the loop). Not `isActive`:
    /// the hub can answer before the device's channel has become active.
    var isDeviceClosed = false

    init(number: UInt64, device: any Channel, conditions: LinkConditions, seed: UInt64) {
        self.number = number
        self.device = device
        self.conditions = conditions
        self.seed = seed
    }

    /// The glue for both channels once the proxy reached the hub, shaped by the conditions in
    /// force now; `nil` (and the hub's channel reset) if a fault cut the connection meanwhile.
    func attach(upstream: any Channel) -> (device: GlueHandler, hub: GlueHandler)? {
        guard !isCut, !isDeviceClosed else {
            GlueHandler.reset(upstream)
            return nil
        }
        let now = GlueHandler.now()
        var toDevice = FlowSchedule(conditions: conditions.flow(.toDevice), generator: SeededGenerator(seed: seed, stream: number, lane: 2), now: now)
        var toHub = FlowSchedule(conditions: conditions.flow(.toHub), generator: SeededGenerator(seed: seed, stream: number, lane: 1), now: now)
        if conditions.isBlackholed {
            toDevice.hold(at: now)
            toHub.hold(at: now)
        }
        let pair = GlueHandler.makePair(toDevice: toDevice, toHub: toHub)
        glue = pair
        self.upstream = upstream
        return pair
    }

    /// Carries out `effect` with the proxy's conditions after the change.
    /// - Returns: whether it touched this connection (it was open and not already cut).
    func carryOut(_ effect: LinkConditions.ConnectionEffect, conditions: LinkConditions) -> Bool {
        self.conditions = conditions
        guard !isCut, !isDeviceClosed else { return false }
        switch effect {
        case .untouched:
            return false
        case .reshape:
            guard let glue else { return true }
            glue.device.reshape(conditions.flow(.toDevice), isHeld: conditions.isBlackholed)
            glue.hub.reshape(conditions.flow(.toHub), isHeld: conditions.isBlackholed)
            return true
        case .reset:
            isCut = true
            guard let glue else {
                // Still reaching the hub: the device is reset now, the hub's side on arrival.
                GlueHandler.reset(device)
                return true
            }
            // Both sides are marked first, so neither closes the other with a FIN.
            _ = glue.device.beginCut()
            _ = glue.hub.beginCut()
            glue.device.reset()
            glue.hub.reset()
            return true
        case .close:
            isCut = true
            guard let glue else {
                device.close(promise: nil)
                return true
            }
            _ = glue.device.beginCut()
            _ = glue.hub.beginCut()
            glue.device.closeCleanly()
            glue.hub.closeCleanly()
            return true
        }
    }
}

@available(*, unavailable)
extension ProxiedConnection: Sendable {}
