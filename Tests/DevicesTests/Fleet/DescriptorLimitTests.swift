import Devices
import Glibc
import Testing

@Suite struct DescriptorLimitTests {
    @Test("harness raises its soft limit of open descriptors to the hard one")
    func raisedToHard() {
        // Lower the soft limit first, as a shell's `ulimit -S -n 256` would.
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        var lowered = limit
        lowered.rlim_cur = min(limit.rlim_max, 256)
        #expect(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered) == 0)
        let (soft, hard) = DescriptorLimit.raiseToHard()
        #expect(soft > 0)
        #expect(soft == hard || soft == 1 << 20, "soft \(soft), hard \(hard)")
        #expect(DescriptorLimit.current() == (soft, hard))
    }

    @Test("ensure: a fleet within the limit passes, one beyond it is refused before it starts")
    func ensure() throws {
        let (_, hard) = DescriptorLimit.raiseToHard()
        try DescriptorLimit.ensure(DescriptorBudget(devices: 10, perDevice: 2))
        let tooMany = Int(clamping: hard)
        #expect(throws: DescriptorBudget.Shortfall.self) { try DescriptorLimit.ensure(DescriptorBudget(devices: tooMany, perDevice: 2)) }
    }
}

@Suite struct DescriptorBudgetTests {
    @Test("a device costs its socket, the in-process hub's side and a proxy's two")
    func perDevice() {
        #expect(DescriptorBudget.perDevice(hubInProcess: false) == 1)
        #expect(DescriptorBudget.perDevice(hubInProcess: true) == 2)
        #expect(DescriptorBudget.perDevice(hubInProcess: true, proxied: true) == 4)
        #expect(DescriptorBudget(devices: 10_000, perDevice: 2).needed == 20_256)
        #expect(DescriptorBudget(devices: Int.max, perDevice: 2).needed == Int.max)
    }

    @Test("under the limit: no error")
    func fits() throws {
        try DescriptorBudget(devices: 9_000, perDevice: 2).check(soft: 20_000, hard: 20_000)
        try DescriptorBudget(devices: 0, perDevice: 2).check(soft: 256, hard: 256)
    }

    @Test("beyond a hard limit: says what is needed, the limit, that root raises it, and what fits")
    func beyondHard() {
        let error = #expect(throws: DescriptorBudget.Shortfall.self) {
            try DescriptorBudget(devices: 10_000, perDevice: 2).check(soft: 20_000, hard: 20_000)
        }
        let text = error?.description ?? ""
        #expect(text.hasPrefix("10000 devices need about 20256 open descriptors in this process (2 each"), "\(text)")
        #expect(text.contains("but the limit is 20000 (hard limit 20000, which only root raises"), "\(text)")
        #expect(text.hasSuffix("at most 9872 devices fit under it"), "\(text)")
        #expect(error?.needed == 20_256)
    }

    @Test("beyond a soft limit the hard one allows: says which ulimit to run")
    func beyondSoft() {
        let error = #expect(throws: DescriptorBudget.Shortfall.self) {
            try DescriptorBudget(devices: 1_000, perDevice: 1).check(soft: 1_024, hard: 1 << 20)
        }
        #expect(error?.description.contains("raise it with `ulimit -n 1256` before running") == true, "\(String(describing: error))")
    }
}
