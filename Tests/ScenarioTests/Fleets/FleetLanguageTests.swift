import Devices
import Foundation
import IoTHubCore
import MQTTCore
@testable import Scenario
import Testing

/// Fleets as the loader reads them: ids, keys, selections, quorums, shards, and every mistake
/// with its place.
@Suite struct FleetLanguageTests {
    let yaml = """
        hub: simulated
        fleet:
          name: sensors
          id: "sensor-${index:03}"
          count: 12
          profile: umqtt-robust
          connect_rate: 500/s
          group_key: "AAECAwQFBgcICQoLDA0ODw=="
        steps:
          - connect: {}
          - expect: { connack: accepted, within: 1s }
          - subscribe: devices/${device}/messages/devicebound/#
            device: sensors[2..5]
          - send: "on"
            device: { fleet: sensors, percent: 25, seed: 9 }
          - expect: { led: on, devices: 90%, within: 1s }
            device: { fleet: sensors, sample: 3, seed: 9 }
          - expect: { reconnected: all, within: 1s }
            device: sensor-007
        """

    @Test("a fleet's members: ids from the pattern (zero-padded), the template's settings, keys derived from the group key as DPS derives them")
    func members() throws {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "fleet.yaml")
        let fleet = try #require(scenario.targets.first?.fleets.first)
        #expect(fleet.name == "sensors" && fleet.count == 12 && fleet.connectRate == 500)
        let members = fleet.memberSpecs()
        #expect(members.map(\.id.string) == (0..<12).map { String(format: "sensor-%03d", $0) })
        #expect(members.allSatisfy { $0.fleet == "sensors" })
        if case .simulated(let settings) = members[3].settings { #expect(settings.profile.name == "umqtt-robust") } else { Issue.record("not simulated") }
        // HMAC-SHA256(group key, "sensor-000"), computed independently with Python's hmac.
        #expect(members[0].key?.base64 == "hwFTDC4nZCPsOxrcWYWIca9M7uOdXsBVKUmjDSv7+ME=")
        #expect(scenario.secretValues.contains("AAECAwQFBgcICQoLDA0ODw=="))
    }

    @Test("steps address the fleet, a range, a seeded percent or sample, or one member; ${device} stays for the run")
    func selections() throws {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "fleet.yaml")
        let target = try #require(scenario.targets.first)
        let steps = scenario.steps
        #expect(steps[0].fleet == FleetSelection(fleet: "sensors") && steps[0].device == nil)
        #expect(steps[2].fleet?.subset == .range(2...5))
        #expect(target.members(of: try #require(steps[2].fleet)).map(\.string) == ["sensor-002", "sensor-003", "sensor-004", "sensor-005"])
        if case .subscribe(let filter, _, _) = steps[2].kind { #expect(filter.string == "devices/${device}/messages/devicebound/#") }
        let percent = try #require(steps[3].fleet)
        #expect(target.members(of: percent).count == 3)
        // The same seed chooses the same members every time.
        #expect(target.members(of: percent) == target.members(of: percent))
        #expect(Set(target.members(of: percent)).count == 3)
        #expect(target.members(of: try #require(steps[4].fleet)).count == 3)
        if case .expect(let expectation) = steps[4].kind { #expect(expectation.quorum == .percent(90)) }
        #expect(steps[5].fleet?.subset == .range(7...7))
        if case .expect(let expectation) = steps[5].kind {
            #expect(expectation.quorum == .all)
            #expect(expectation.subject == .reconnected(true))
        }
    }

    @Test("a seeded sample is a set of distinct members, the same for the same seed and fleet size, different for another seed")
    func seededSamples() {
        let a = FleetSelection.sample(100, of: 10_000, seed: 1)
        #expect(a.count == 100 && Set(a).count == 100 && a.allSatisfy { (0..<10_000).contains($0) })
        #expect(a == FleetSelection.sample(100, of: 10_000, seed: 1))
        #expect(a != FleetSelection.sample(100, of: 10_000, seed: 2))
        #expect(FleetSelection.sample(50, of: 10, seed: 3) == Array(0..<10))
    }

    @Test("shards split a fleet into disjoint contiguous ranges that cover it")
    func shardRanges() throws {
        for (count, shards) in [(10_000, 4), (7, 3), (3, 5), (1, 1)] {
            let ranges = (1...shards).map { FleetSpec.shardRange(fleetCount: count, shard: $0, of: shards) }
            #expect(ranges.flatMap { Array($0) } == Array(0..<count), "\(count) over \(shards)")
            #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
        }
        var options = LoadOptions()
        options.shard = LoadOptions.Shard(index: 2, count: 3)
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "fleet.yaml", options: options)
        #expect(scenario.targets.first?.fleets.first?.members == 4..<8)
        #expect(scenario.targets.first?.allDevices().map(\.id.string) == ["sensor-004", "sensor-005", "sensor-006", "sensor-007"])
    }

    @Test("a keys file gives the members' keys; its mistakes name the line, never the key")
    func keysFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-keys-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("# exported\nd0,AAAA\nd1, AQID \n".utf8).write(to: URL(fileURLWithPath: folder + "/keys.csv"))
        let scenario = try ScenarioLoader.load(yaml: "fleet: { id: \"d${index}\", count: 2, keys_file: keys.csv }\nsteps:\n  - connect: {}\n", path: folder + "/s.yaml")
        let members = try #require(scenario.targets.first?.allDevices())
        #expect(members.map { $0.key?.base64 } == ["AAAA", "AQID"])
        #expect(scenario.secretValues.contains("AQID"))
        switch FleetKeysFile.parse("d0,AAAA\nd0,AAAA\n", name: "k") {
        case .failure(let problem): #expect(problem.message == "k:2: device 'd0' is listed twice")
        case .success: Issue.record("a duplicate was accepted")
        }
        switch FleetKeysFile.parse("d0,sec ret!\n", name: "k") {
        case .failure(let problem): #expect(problem.message == "k:1: the key of device 'd0' is not base64" && !problem.message.contains("sec ret"))
        case .success: Issue.record("a bad key was accepted")
        }
    }

    @Test("fleet mistakes: file:line:column and a plain reason", arguments: [
        ("fleet: { id: dev, count: 3 }\nsteps:\n  - connect: {}\n", "1:14", "has no ${index}, so every device would get the same id"),
        ("fleet: { id: \"d${index}\", count: 0 }\nsteps:\n  - connect: {}\n", "1:34", "fleet count must be a whole number of at least 1, not '0'"),
        ("fleet: { id: \"d${index}\", count: abc }\nsteps:\n  - connect: {}\n    device: flet\n", "4:13", "unknown device 'flet'; the scenario has no valid device or fleet"),
        ("fleet: { id: \"d${index}\", count: 100001 }\nsteps:\n  - connect: {}\n", "1:34", "beyond the limit of 100000 devices per fleet"),
        ("fleets:\n  - { name: a, id: \"a${index}\", count: 100000 }\n  - { name: b, id: \"b${index}\", count: 100000 }\n  - { name: c, id: \"c${index}\", count: 1 }\nsteps:\n  - connect: {}\n    device: a\n", "2:3", "200001 devices together, beyond the limit of 200000 per scenario"),
        ("fleet: { id: \"d${index}${index}\", count: 3 }\nsteps:\n  - connect: {}\n", "1:14", "has ${index} twice"),
        ("fleet: { id: \"d${index:x}\", count: 3 }\nsteps:\n  - connect: {}\n", "1:14", "'${index:x}' is not an index placeholder"),
        ("fleet: { id: \"d/${index}\", count: 3 }\nsteps:\n  - connect: {}\n", "1:14", "makes ids that are not valid device ids"),
        ("fleet: { id: \"d${index}\", count: 3, connect_rate: 0/s }\nsteps:\n  - connect: {}\n", "1:51", "connect_rate takes connects per second from 0.01 to 1000000"),
        ("fleet: { id: \"d${index}\", count: 3, connect_rate: 1e-300/s }\nsteps:\n  - connect: {}\n", "1:51", "connect_rate takes connects per second from 0.01"),
        ("fleet: { id: \"d${index}\", count: 3, keys_file: /dev/zero }\nsteps:\n  - connect: {}\n", "1:48", "keys_file: '/dev/zero' is not a regular file"),
        ("fleet: { id: \"d${index}\", count: 3, kind: serial, port: /dev/x }\nsteps:\n  - connect: {}\n", "1:43", "a fleet cannot be of kind 'serial'"),
        ("device: { id: d1 }\nfleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n    device: d1\n", "2:8", "makes device id 'd1' (index 1), which another device or fleet has too"),
        ("fleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n    device: fleet[1..5]\n", "4:13", "range 1..5 is not within fleet 'fleet', whose members are 0..2"),
        ("fleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n    device: flet\n", "4:13", "unknown device or fleet 'flet' (did you mean 'fleet'?)"),
        ("fleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n  - expect: { packet: PUBLISH, within: 1s }\n", "4:5", "'packet' (a PUBLISH expectation) is checked on one device"),
        ("device: { id: x }\nsteps:\n  - connect: {}\n  - expect: { reconnected: all, within: 1s }\n", "4:5", "'devices' (and a subject's 'all') counts the members of a fleet"),
        ("fleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n  - expect: { led: on, devices: 0, within: 1s }\n", "4:33", "devices takes 'all', a number of devices (1 or more)"),
        ("fleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n    device: { fleet: fleet, sample: 2, percent: 5 }\n", "4:13", "give one of range, percent and sample"),
        ("hub: { kind: azure, hostname: h.azure-devices.net }\nfleet: { id: \"d${index}\", count: 3 }\nsteps:\n  - connect: {}\n", "1:6", "must already hold its devices' keys: give 'group_key'"),
    ])
    func mistakes(yaml: String, place: String, message: String) {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "f.yaml")
            Issue.record("loaded: \(yaml)")
        } catch {
            let text = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(text.contains("f.yaml:\(place): error: ") && text.contains(message), "\(text)")
        }
    }
}
