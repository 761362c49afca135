#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import Synchronization

extension TapProxy {
    /// Puts a network fault on the path between the devices and the hub (see ``LinkFault`` for
    /// what each does). Conditions (`blackhole`, `delay`, `bandwidth`, `slice`, `refuse`,
    /// `partition`) stay in force, for open and later connections, until ``heal(_:)``; several
    /// can be in force at once. `drop` and `close` act once, on the connections open now.
    ///
    /// Returns once the fault is carried out: connections reset or closed, shaping in place,
    /// the listener stopped.
    /// - Returns: what was done (connections reset, closed or shaped; whether the proxy
    ///   listens). The same outcome is reported to the observer as ``Event/faultApplied(_:)``.
    /// - Throws: ``LinkFaultError/invalid(fault:reason:)`` for parameters that make no sense,
    ///   ``LinkFaultError/notRunning`` before ``start(host:port:)`` or after ``stop()``.
    @discardableResult
    public func apply(_ fault: LinkFault) async throws(LinkFaultError) -> FaultOutcome {
        try fault.validate()
        let dispatched = state.withLock { state -> (LinkConditions.Change, [EventLoopFuture<UInt64?>])? in
            guard state.address != nil else { return nil }
            let change = state.conditions.apply(fault)
            // Submitted under the lock, so every connection sees the changes in order.
            return (change, Self.dispatch(change.connections, conditions: state.conditions, to: state.connections.values))
        }
        guard let (change, futures) = dispatched else { throw .notRunning }
        var touched: [UInt64] = []
        for future in futures {
            if let number = try? await future.get() { touched.append(number) }
        }
        touched.sort()
        var failure: String?
        if change.listener != .unchanged { failure = await reconcileListener() }
        var outcome = FaultOutcome(fault: fault, isListening: state.withLock { $0.listener != nil }, listenerFailure: failure)
        switch change.connections {
        case .untouched: break
        case .reshape: outcome.connectionsShaped = touched.count
        case .reset:
            outcome.connectionsReset = touched.count
            for number in touched { observer?(.resetByFault(connection: number)) }
        case .close:
            outcome.connectionsClosed = touched.count
            for number in touched { observer?(.closedByFault(connection: number)) }
        }
        observer?(.faultApplied(outcome))
        return outcome
    }

    /// Ends the faults of `kind` in force, or all of them (`nil`). Held bytes (a blackhole)
    /// flow again in order; later chunks are no longer delayed, limited or sliced (bytes
    /// already scheduled keep their times, and nothing overtakes them); after `refuse` or
    /// `partition` the proxy listens again on the same port. If it cannot (the port was taken
    /// meanwhile), new connections stay refused and the outcome says why; it tries again at the
    /// next heal.
    /// - Returns: the kinds healed and whether the proxy listens, as reported to the observer in
    ///   ``Event/faultHealed(_:)``.
    @discardableResult
    public func heal(_ kind: LinkFault.Kind? = nil) async -> HealOutcome {
        let (change, futures) = state.withLock { state -> (LinkConditions.Change, [EventLoopFuture<UInt64?>]) in
            let change = state.conditions.heal(kind)
            return (change, Self.dispatch(change.connections, conditions: state.conditions, to: state.connections.values))
        }
        for future in futures { _ = try? await future.get() }
        // A listener that failed to come back is tried again at every heal.
        let needsListener = state.withLock { $0.address != nil && $0.listener == nil && !$0.conditions.refusesConnections }
        var failure: String?
        if change.listener != .unchanged || needsListener { failure = await reconcileListener() }
        let outcome = HealOutcome(healed: change.healed, isListening: state.withLock { $0.listener != nil }, listenerFailure: failure)
        observer?(.faultHealed(outcome))
        return outcome
    }

    /// The faults in force now.
    public var activeFaults: [LinkFault.Kind] { state.withLock { $0.conditions.activeKinds } }

    private static func dispatch(
        _ effect: LinkConditions.ConnectionEffect,
        conditions: LinkConditions,
        to entries: Dictionary<UInt64, Entry>.Values
    ) -> [EventLoopFuture<UInt64?>] {
        guard effect != .untouched else { return [] }
        return entries.map { entry in
            entry.eventLoop.submit {
                let connection = entry.connection.value
                return connection.carryOut(effect, conditions: conditions) ? connection.number : nil
            }
        }
    }

    private enum ListenerStep {
        case done
        case bind(host: String, port: Int)
        case close(any Channel, port: Int)
    }

    /// Brings the listener in line with what the proxy wants: listening from start to stop
    /// unless a `refuse` or `partition` is in force. One task does it at a time; others wait.
    /// - Returns: why the proxy could not listen again, if it could not.
    func reconcileListener() async -> String? {
        let runs = state.withLock { state in
            if state.isReconciling { return false }
            state.isReconciling = true
            return true
        }
        guard runs else {
            let deadline = ContinuousClock.now + .seconds(10)
            while state.withLock({ $0.isReconciling }), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(2))
            }
            return state.withLock { $0.listenerFailure }
        }
        var failure: String?
        while true {
            let step = state.withLock { state -> ListenerStep in
                let wanted = state.address != nil && !state.conditions.refusesConnections
                if wanted, state.listener == nil, failure == nil, let address = state.address {
                    return .bind(host: address.host, port: address.port)
                }
                if !wanted, let listener = state.listener {
                    state.listener = nil
                    return .close(listener, port: listener.localAddress?.port ?? 0)
                }
                state.isReconciling = false
                state.listenerFailure = failure
                return .done
            }
            switch step {
            case .done:
                return failure
            case .bind(let host, let port):
                do {
                    let channel = try await bind(host: host, port: port)
                    state.withLock { $0.listener = channel }
                    observer?(.listening(port: port))
                } catch {
                    let reason = Self.words(for: error)
                    failure = "could not listen on \(host):\(port) again (\(reason)); new connections stay refused"
                    observer?(.listenFailed(port: port, reason: reason))
                }
            case .close(let channel, let port):
                try? await channel.close()
                observer?(.stoppedListening(port: port))
            }
        }
    }

    /// A socket error in plain words ("Address already in use").
    static func words(for error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode))
        }
        return "\(error)"
    }
}
