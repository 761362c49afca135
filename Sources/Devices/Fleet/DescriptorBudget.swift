/// The open descriptors a fleet needs in this process: each device's own, and a reserve for
/// everything else a run holds (listeners, event loops, the service port, report files).
/// Pure: the limits are inputs (``DescriptorLimit`` reads and raises them).
public struct DescriptorBudget: Sendable, Hashable {
    /// Why a fleet does not fit under the limit, in plain words, with what to do.
    public struct Shortfall: Error, Sendable, Hashable, CustomStringConvertible {
        public var needed: Int
        public var soft: UInt64
        public var hard: UInt64
        public var description: String
    }

    /// The descriptors the rest of a run holds besides its devices. Default of ``reserve``.
    public static let defaultReserve = 256

    public var devices: Int
    /// Descriptors each device costs in this process (see ``perDevice(hubInProcess:proxied:)``).
    public var perDevice: Int
    public var reserve: Int

    public init(devices: Int, perDevice: Int, reserve: Int = DescriptorBudget.defaultReserve) {
        self.devices = devices
        self.perDevice = perDevice
        self.reserve = reserve
    }

    /// What one in-process device costs: its socket; the simulated hub's side of it when the
    /// hub runs in this process; a tap proxy's two sockets when one sits between them.
    public static func perDevice(hubInProcess: Bool, proxied: Bool = false) -> Int {
        1 + (hubInProcess ? 1 : 0) + (proxied ? 2 : 0)
    }

    /// Descriptors needed: devices × per device + reserve (saturating).
    public var needed: Int {
        let (product, overflow) = max(0, devices).multipliedReportingOverflow(by: max(0, perDevice))
        let (total, more) = product.addingReportingOverflow(max(0, reserve))
        return overflow || more ? .max : total
    }

    /// Checks the budget against the soft limit (after it was raised as far as it goes).
    /// - Throws: ``Shortfall`` when ``needed`` is above the soft limit: it names the number of
    ///   devices, the descriptors they need and how many of them each takes, the limits, and
    ///   whether raising the soft limit (`ulimit -n`) suffices or only the hard one (root)
    ///   will do; and the most devices that fit.
    public func check(soft: UInt64, hard: UInt64) throws(Shortfall) {
        guard UInt64(needed) > soft else { return }
        let fits = perDevice > 0 ? max(0, (Int(clamping: soft) - reserve) / perDevice) : 0
        let each = perDevice == 1 ? "1 each" : "\(perDevice) each"
        var text = "\(devices) devices need about \(needed) open descriptors in this process (\(each), and \(reserve) for the rest of the run), but the limit is \(soft)"
        if UInt64(needed) <= hard {
            text += "; raise it with `ulimit -n \(needed)` before running"
        } else {
            text += " (hard limit \(hard), which only root raises: `ulimit -Hn`, LimitNOFILE in a systemd unit, nofile in /etc/security/limits.conf, or `docker run --ulimit nofile=\(needed)`)"
        }
        text += "; at most \(fits) devices fit under it"
        throw Shortfall(needed: needed, soft: soft, hard: hard, description: text)
    }
}
