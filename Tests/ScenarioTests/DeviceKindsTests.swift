import Devices
import Foundation
import HarnessTestSupport
import NIOPosix
import Reporting
import Scenario
import Testing

/// Device kinds in scenarios: the same steps against the device model, the seed firmware as a
/// process and a board on a pseudo-terminal; clear failures when firmware misbehaves.
@Suite(.serialized) struct DeviceKindsTests {
    /// Deadlines scaled x10: the firmware tests share a 2-core machine with Python processes.
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10))
    static let scenarios = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios")

    /// The device of a scenario written as YAML, resolved relative to the scenarios folder.
    func device(_ yaml: String) throws -> DeviceSpec {
        let text = "device:\n\(yaml)\nsteps:\n  - connect: {}\n"
        let scenario = try ScenarioLoader.load(yaml: text, path: Self.scenarios.appendingPathComponent("inline.yaml").path)
        return try #require(scenario.device)
    }

    func run(_ scenario: Scenario, device: DeviceSpec, environment: RunEnvironment? = nil) async -> ScenarioResult {
        var target = scenario.targets[0]
        target.devices = [device]
        let runner = environment.map { ScenarioRunner(environment: $0) } ?? self.runner
        return await runner.run(scenario, target: target)
    }

    func describe(_ result: ScenarioResult) -> String {
        result.steps.map { "\($0.step.number) \($0.status)" }.joined(separator: "\n") + "\n" + result.makeTestSuite().systemOut
    }

    @Test("the c2d-led steps pass against the simulated device, the seed firmware process and the pseudo-terminal board")
    func sameStepsThreeKinds() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let python = try Repository.python()
        let process = try device("""
              id: esp8266
              kind: process
              command: \(python)
              args: [-u, firmware/esp8266-led/run.py]
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
            """)
        let emulator = try BoardEmulator(python: python, launcher: Repository.seedFirmware.appendingPathComponent("run.py").path)
        defer { emulator.stop() }
        let board = try device("""
              id: esp8266
              kind: serial
              port: \(emulator.path)
              baud: 115200
              firmware: firmware/esp8266-led/main.py
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
            """)
        for spec in [scenario.targets[0].devices[0], process, board] {
            let result = await run(scenario, device: spec)
            #expect(result.isPassed, "\(spec.kind): \(describe(result))")
            #expect(result.passedCount == 7)
            let systemOut = result.makeTestSuite().systemOut
            #expect(systemOut.contains("LED on"), "\(spec.kind)")
            if spec.kind != .simulated {
                #expect(systemOut.contains("output: connected..."), "\(spec.kind)")
                #expect(systemOut.contains("pin 5 = 1"), "\(spec.kind)")
            }
        }
        #expect(emulator.programsRun >= 1)
    }

    @Test("a firmware that crashes fails the scenario, and its output is in <system-out>")
    func crashingFirmware() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let spec = try device("""
              id: esp8266
              kind: process
              command: \(try Repository.python())
              args: ["-c", "print('wifi up'); import sys; sys.exit('MQTTException: 5')"]
            """)
        let result = await run(scenario, device: spec)
        #expect(result.isPassed == false)
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("connect did not fail: \(result.steps[0].status)")
            return
        }
        #expect(failure.observed == "no CONNACK: the firmware process exited with status 1; last output: MQTTException: 5")
        let systemOut = result.makeTestSuite().systemOut
        #expect(systemOut.contains("output: wifi up"))
        #expect(systemOut.contains("program stopped: the firmware process exited with status 1"))
    }

    @Test("a process that never prints the expected line fails the connect after the action timeout, not a hang")
    func neverReady() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let spec = try device("""
              id: esp8266
              kind: process
              command: \(try Repository.python())
              args: ["-u", "-c", "import time\\nprint('booting')\\ntime.sleep(120)"]
              ready: '^connected'
            """)
        let started = ContinuousClock.now
        let environment = RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, actionTimeout: .milliseconds(800))
        let result = await run(scenario, device: spec, environment: environment)
        #expect(ContinuousClock.now - started < .seconds(5))
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("connect did not fail: \(result.steps[0].status)")
            return
        }
        #expect(failure.expected == "CONNACK within 800ms")
        #expect(result.makeTestSuite().systemOut.contains("output: booting"))
    }

    @Test("a serial port that does not exist fails the connect with the reason")
    func missingSerialPort() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let spec = try device("""
              id: esp8266
              kind: serial
              port: /dev/ttyHARNESS-NONE
              firmware: firmware/esp8266-led/main.py
            """)
        let result = await run(scenario, device: spec)
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("connect did not fail: \(result.steps[0].status)")
            return
        }
        #expect(failure.observed == "no CONNACK: serial port /dev/ttyHARNESS-NONE: cannot open it: No such file or directory")
    }

    @Test("firmware read by patterns only (no line protocol): subscribe accepts the subscription the hub acknowledged before the step")
    func subscriptionSeenByTheHub() async throws {
        let yaml = """
            device:
              id: esp8266
              kind: process
              command: \(try Repository.python())
              args: [-u, firmware/esp8266-led/run.py, --prelude, ""]
              connected: '^connected\\.\\.\\.$'
            steps:
              - connect: { clean_session: false }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: "on"
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: Self.scenarios.appendingPathComponent("inline.yaml").path)
        let environment = RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, actionTimeout: .seconds(5))
        let result = await ScenarioRunner(environment: environment).run(scenario)
        #expect(result.isPassed, "\(describe(result))")
        // No '@harness' line: what the subscribe step accepted is the hub's SUBACK.
        #expect(!result.makeTestSuite().systemOut.contains("@harness"), "\(describe(result))")
    }

    @Test(
        "command: micropython runs the seed firmware on the MicroPython unix port",
        .enabled(if: Repository.hasMicroPython, "no MicroPython unix port: set HARNESS_MICROPYTHON or put micropython on PATH (bash .ci/run names ../shared/tools/micropython/micropython)")
    )
    func commandMicroPython() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let spec = try device("""
              id: esp8266
              kind: process
              command: \(try Repository.micropython())
              args: [firmware/esp8266-led/run.py]
              env: { MICROPYPATH: /nonexistent }
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
            """)
        let result = await run(scenario, device: spec)
        #expect(result.isPassed, "\(describe(result))")
        // A MICROPYPATH without .frozen gets it (else `import ssl` fails on the port).
        #expect(result.makeTestSuite().systemOut.contains("pin 5 = 1"))
    }

    @Test(
        "the seed firmware through the serial path on the MicroPython unix port's real raw REPL (resume, no soft reset), over TLS",
        .enabled(if: Repository.hasMicroPython, "no MicroPython unix port: set HARNESS_MICROPYTHON or put micropython on PATH (bash .ci/run names ../shared/tools/micropython/micropython)")
    )
    func serialOnMicroPythonREPL() async throws {
        _ = try Repository.python()  // umqtt.simple 1.3.4 in .venv/micropython-lib
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        // What a board has built in and the port lacks (network, machine.Pin), and umqtt.simple
        // as a board has it in its filesystem.
        let board = try MicroPythonBoard(
            interpreter: try Repository.micropython(),
            libraries: [Repository.seedFirmware.appendingPathComponent("shims").path, Repository.root.appendingPathComponent(".venv/micropython-lib").path]
        )
        defer { board.stop() }
        let spec = try device("""
              id: esp8266
              kind: serial
              port: \(board.path)
              resume: true
              firmware: firmware/esp8266-led/main.py
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
            """)
        let result = await run(scenario, device: spec)
        #expect(result.isPassed, "\(describe(result))")
        let systemOut = result.makeTestSuite().systemOut
        #expect(systemOut.contains("output: connected..."))
        #expect(systemOut.contains("pin 5 = 1") && systemOut.contains("pin 5 = 0"))
        // Never sent \x04 to an empty raw REPL: the interpreter is still there at the end.
        #expect(board.isRunning)
    }

    @Test(
        "restart with resume: Ctrl-C, then the firmware again in the same interpreter, where umqtt.simple keeps the first run's socket wrapper; every pin write reported once",
        .enabled(if: Repository.hasMicroPython, "no MicroPython unix port: set HARNESS_MICROPYTHON or put micropython on PATH (bash .ci/run names ../shared/tools/micropython/micropython)")
    )
    func serialRestartOnMicroPythonREPL() async throws {
        _ = try Repository.python()
        let board = try MicroPythonBoard(
            interpreter: try Repository.micropython(),
            libraries: [Repository.seedFirmware.appendingPathComponent("shims").path, Repository.root.appendingPathComponent(".venv/micropython-lib").path]
        )
        defer { board.stop() }
        let yaml = """
            device:
              id: esp8266
              kind: serial
              port: \(board.path)
              resume: true
              firmware: firmware/esp8266-led/main.py
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
            steps:
              - connect: { clean_session: false }
              - restart: {}
              - connect: { clean_session: false }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: "on"
              - expect: { led: on, within: 2s }
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: Self.scenarios.appendingPathComponent("inline.yaml").path)
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(describe(result))")
        let systemOut = result.makeTestSuite().systemOut
        #expect(systemOut.contains("restarted"))
        #expect(systemOut.components(separatedBy: "pin 5 = 1").count == 2, "\(systemOut)")
        #expect(board.isRunning)
    }

    @Test("runtime: micropython without an interpreter fails the connect, saying where it looked")
    func runtimeWithoutInterpreter() async throws {
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("c2d-led.yaml").path)
        let spec = try device("""
              id: esp8266
              kind: process
              runtime: micropython
              args: [firmware/esp8266-led/run.py]
              env: { HARNESS_MICROPYTHON: /nonexistent/micropython }
            """)
        let result = await run(scenario, device: spec)
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("connect did not fail: \(result.steps[0].status)")
            return
        }
        #expect(failure.observed == "no CONNACK: HARNESS_MICROPYTHON names /nonexistent/micropython, which is not an executable file")
    }

    @Test("every target of the shipped device and regression scenarios passes", arguments: ["c2d-led-firmware", "token-expiry", "token-renewal", "keepalive", "reconnect-queue"])
    func shippedTargets(name: String) async throws {
        _ = try Repository.python()
        let scenario = try ScenarioLoader.load(path: Self.scenarios.appendingPathComponent("\(name).yaml").path)
        for target in scenario.targets {
            let result = await runner.run(scenario, target: target)
            #expect(result.isPassed, "\(name) [\(target.name)]: \(describe(result))")
        }
    }
}

/// The device keys of process and serial devices, checked with positions.
@Suite struct DeviceKeyLoadingTests {
    func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "/tmp/devices.yaml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test("a process device is read with its command, arguments, environment, LED and ready line")
    func processDevice() throws {
        let scenario = try ScenarioLoader.load(
            yaml: """
                device:
                  id: esp8266
                  kind: process
                  command: python3
                  args: [-u, run.py, "$${HUB_HOST}"]
                  env: { WIFI_SSID: home }
                  working_directory: firmware
                  led: { pin: 5 }
                  ready: 'connected\\.\\.\\.'
                  token_service: { url: "http://127.0.0.1:7071/api/token", key: sekrit }
                steps:
                  - connect: {}
                """,
            path: "/work/scenarios/x.yaml"
        )
        let device = try #require(scenario.device)
        #expect(device.kind == .process)
        guard case .process(let process, let firmware) = device.settings else {
            Issue.record("not a process device: \(device.settings)")
            return
        }
        #expect(process == DeviceSpec.ProcessSettings(command: "python3", arguments: ["-u", "run.py", "${HUB_HOST}"], environment: ["WIFI_SSID": "home"], workingDirectory: "/work/scenarios/firmware"))
        #expect(firmware.output.ledPin == 5)
        #expect(firmware.output.patterns.ready == "connected\\.\\.\\.")
        #expect(device.tokenService == DeviceSpec.TokenServiceSpec(url: "http://127.0.0.1:7071/api/token", key: "sekrit"))
        #expect(scenario.secretValues.contains("sekrit"))
    }

    @Test("a simulated device takes pings and a renewal margin; a serial device its port and baud")
    func otherKeys() throws {
        let simulated = try ScenarioLoader.load(yaml: "device: { id: d, profile: sdk, keepalive_pings: off, renewal_margin: 5m }\nsteps:\n  - connect: {}\n", path: "/tmp/a.yaml")
        #expect(simulated.device?.settings == .simulated(DeviceSpec.SimulatedSettings(profile: .sdk, sendsPings: false, renewalMargin: .seconds(300))))
        let serial = try ScenarioLoader.load(yaml: "device: { id: d, kind: serial, port: /dev/ttyUSB0, baud: 460800, firmware: main.py, led: { on: 'LED on', off: 'LED off' } }\nsteps:\n  - connect: {}\n", path: "/tmp/b.yaml")
        #expect(serial.device?.settings == .serial(
            DeviceSpec.SerialSettings(port: "/dev/ttyUSB0", baud: 460_800, firmware: "/tmp/main.py"),
            DeviceSpec.FirmwareSettings(output: FirmwareOutputConfiguration(patterns: OutputPatterns(ledOn: "LED on", ledOff: "LED off")))
        ))
    }

    @Test("mistakes are reported with their positions", arguments: [
        ("device:\n  id: d\n  kind: process\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:2:3: error: a device of kind 'process' needs a 'command'"),
        ("device:\n  id: d\n  kind: serial\n  command: x\n  port: /dev/x\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:4:3: error: 'command' is for devices of kind 'process', and this one is 'serial'"),
        ("device:\n  id: d\n  kind: process\n  comand: x\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:4:3: error: unknown key 'comand' in device (did you mean 'command'?)"),
        ("device:\n  id: d\n  kind: process\n  command: x\n  ready: 'a(b'\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:5:10: error: 'a(b' is not a valid regular expression"),
        ("device:\n  id: d\n  kind: serial\n  port: /dev/x\n  baud: 1200\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:5:9: error: baud 1200 is not supported"),
        ("device:\n  id: d\n  token_service: { url: 'http://127.0.0.1:1/t' }\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:3:18: error: token_service is missing required key 'key'"),
        ("device:\n  id: d\n  kind: process\n  command: x\n  led: { on: 'LED on' }\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:5:8: error: led needs both 'on' and 'off' patterns (or a 'pin')"),
        ("device:\n  id: d\n  kind: simulated\n  keepalive_pings: sometimes\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:4:20: error: keepalive_pings must be on or off, not 'sometimes'"),
        // Each kind takes its own settings, and no other kind's.
        ("device:\n  id: d\n  kind: client\n  profile: sdk\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:4:3: error: 'profile' is for devices of kind 'simulated', and this one is 'client'"),
        ("device:\n  id: d\n  kind: process\n  command: x\n  keepalive_pings: off\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:5:3: error: 'keepalive_pings' is for devices of kind 'simulated' or 'client', and this one is 'process'"),
        ("device:\n  id: d\n  kind: client\n  token_service: hub\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:4:3: error: 'token_service' is for devices of kind 'simulated' or 'process' or 'serial', and this one is 'client'"),
        ("device:\n  id: d\n  tap: 127.0.0.1:0\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:3:3: error: 'tap' is for devices of kind 'process' or 'serial', and this one is 'simulated'"),
        ("device:\n  id: d\n  kind: serial\nsteps:\n  - connect: {}\n", "/tmp/devices.yaml:2:3: error: a device of kind 'serial' needs a 'port' (for example /dev/ttyUSB0)"),
    ])
    func mistakes(yaml: String, diagnostic: String) {
        let found = diagnostics(yaml)
        #expect(found.contains { $0.hasPrefix(diagnostic) }, "\(found)")
    }

    @Test("an unknown kind is reported once, not again for each setting of the kind that was meant")
    func unknownKind() {
        let found = diagnostics("device:\n  id: d\n  kind: proces\n  command: x\n  args: [a]\nsteps:\n  - connect: {}\n")
        #expect(found == ["/tmp/devices.yaml:3:9: error: device kind 'proces' is not supported (did you mean 'process'?); known: simulated, process, serial, client"])
    }

    @Test("a target that changes the kind leaves the settings of the file's kind behind, and takes those of its own")
    func targetChangesKind() throws {
        let yaml = """
            device: { id: d, profile: sdk, token_ttl: 5m }
            targets:
              - { name: model, hub: simulated }
              - { name: firmware, hub: simulated, device: { kind: process, command: python3 } }
              - { name: client, hub: simulated, device: { kind: client, auto_ack: false } }
            steps:
              - connect: {}

            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "/tmp/devices.yaml")
        let devices = scenario.targets.map { $0.devices[0] }
        #expect(devices[0].settings == .simulated(DeviceSpec.SimulatedSettings(profile: .sdk)))
        #expect(devices[1].settings == .process(DeviceSpec.ProcessSettings(command: "python3", workingDirectory: "/tmp"), DeviceSpec.FirmwareSettings()))
        #expect(devices[2].settings == .client(DeviceSpec.ClientSettings(acknowledgesMessages: false)))
        #expect(devices.allSatisfy { $0.tokenTTL == .seconds(300) })
        // A target that keeps the kind must fit it.
        #expect(diagnostics(yaml.replacingOccurrences(of: "{ name: model, hub: simulated }", with: "{ name: model, hub: simulated, device: { command: x } }")) == [
            "/tmp/devices.yaml:3:46: error: 'command' is for devices of kind 'process', and this one is 'simulated'",
        ])
    }

    @Test("--device may change the kind, and then gives settings of that kind")
    func commandLineKind() throws {
        func load(_ settings: [(key: String, value: String)]) throws(ScenarioLoadError) -> DeviceSpec? {
            try ScenarioLoader.load(yaml: "device: { id: d, profile: sdk }\nsteps:\n  - connect: {}\n", path: "/tmp/devices.yaml", options: LoadOptions(deviceOverrides: settings)).device
        }
        #expect(try load([(key: "command", value: "python3"), (key: "kind", value: "process")])?.settings
            == .process(DeviceSpec.ProcessSettings(command: "python3", workingDirectory: "/tmp"), DeviceSpec.FirmwareSettings()))
        #expect(try load([(key: "kind", value: "client"), (key: "auto_ack", value: "off")])?.settings == .client(DeviceSpec.ClientSettings(acknowledgesMessages: false)))
        #expect(throws: ScenarioLoadError.self) { try load([(key: "kind", value: "process")]) }
        do {
            _ = try load([(key: "kind", value: "process")])
        } catch {
            #expect(error.diagnostics.map(\.description) == ["--device:1:1: error: a device of kind 'process' needs a 'command' (for example python3) or a 'runtime' (for example micropython)"])
        }
        do {
            _ = try load([(key: "port", value: "/dev/ttyUSB0")])
        } catch {
            #expect(error.diagnostics.map(\.description) == ["--device:1:1: error: 'port' is for devices of kind 'serial', and this one is 'simulated'"])
        }
    }
}
