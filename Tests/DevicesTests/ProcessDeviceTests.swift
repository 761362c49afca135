import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The seed firmware (main.py) on the real umqtt.simple 1.3.4 under CPython shims, as a
/// process device against the simulated hub over loopback.
@Suite(.serialized) struct ProcessDeviceTests {
    func firmwareDevice(bench: HubBench, ready: Bool = true, extraEnvironment: [String: String] = [:], arguments: [String]? = nil) throws -> ProcessDevice {
        let python = try Repository.python()
        let configuration = ProcessDevice.Configuration(
            command: python,
            arguments: arguments ?? ["-u", "run.py", "--prelude", "${PRELUDE_FILE}"],
            environment: [
                "HUB_HOST": "${HUB_HOST}", "HUB_PORT": "${HUB_PORT}", "DEVICE_ID": "${DEVICE_ID}",
                "USERNAME": "${USERNAME}", "PASSWORD": "${PASSWORD}", "CA_FILE": "${CA_FILE}",
            ].merging(extraEnvironment) { _, new in new },
            workingDirectory: Repository.seedFirmware.path,
            output: FirmwareOutputConfiguration(ledPin: 5, patterns: OutputPatterns(ready: ready ? "^connected\\.\\.\\.$" : nil))
        )
        return ProcessDevice(id: HubBench.deviceID, configuration: configuration, tokenSource: bench.mintedTokens(), observer: bench.events.observer, tap: bench.packets)
    }

    @Test("the seed firmware connects, subscribes and switches its LED on C2D 'on' and 'off'")
    func seedFirmwareLED() async throws {
        let bench = try await HubBench.start()
        let device = try firmwareDevice(bench: bench)
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .answered, "\(device.outputTail(lines: 20))")
        #expect(bench.events.all.compactMap(\.connAckCode) == [.accepted])
        #expect(try await device.subscribe(to: HubBench.filter, qos: .atMostOnce) == .answered)
        try await bench.send("on")
        #expect(await bench.events.wait { $0.isLEDOn } != nil, "\(device.outputTail(lines: 20))")
        try await bench.send("off")
        #expect(await bench.events.wait { $0.isLEDOff } != nil)
        // The device vantage: umqtt.simple's CONNECT exactly as it wrote it.
        let connect = try #require(bench.packets.all.compactMap { record -> ConnectPacket? in
            if case .connect(let packet) = record.packet, record.direction == .outbound { return packet }
            return nil
        }.first)
        #expect(connect.cleanSession == false)
        #expect(connect.keepAlive == 4000)
        #expect(connect.clientID == "esp8266")
        // The password never appears in the output the harness reports.
        let token = String(buffer: try #require(connect.password))
        let lines = bench.events.all.compactMap { if case .output(let line) = $0 { line } else { nil } }
        #expect(lines.contains("connected..."))
        #expect(lines.allSatisfy { !$0.contains(token) })
        await device.shutdown()
        #expect(bench.events.all.contains { $0.isCrash } == false)
        await bench.stop()
    }

    @Test("restart runs the firmware again: it reconnects, its LED starts off")
    func restart() async throws {
        let bench = try await HubBench.start()
        let device = try firmwareDevice(bench: bench)
        #expect(try await device.connect(bench.request()) == .answered)
        try await bench.send("on")
        #expect(await bench.events.wait { $0.isLEDOn } != nil)
        try await device.restart()
        #expect(try await device.connect(bench.request()) == .answered)
        #expect(bench.hubEvents.count { if case .connected = $0 { true } else { false } } == 2)
        let afterRestart = bench.events.all.drop { $0 != .restarted }
        #expect(afterRestart.dropFirst().first == .led(isOn: false, changed: true))
        #expect(bench.events.all.contains { $0.isCrash } == false)
        await device.shutdown()
        await bench.stop()
    }

    @Test("with a token service the launcher fetches the token itself (TOKEN_URL, TOKEN_KEY) and connects")
    func tokenService() async throws {
        let bench = try await HubBench.start()
        let clock = bench.wallClock
        let service = try await TokenServiceDouble.start(
            hostName: HubBench.hostName,
            functionKey: "function-key",
            devices: [HubBench.deviceID: HubBench.key],
            now: { clock.unixSeconds() },
            group: MultiThreadedEventLoopGroup.singleton
        )
        var configuration = try firmwareDevice(bench: bench).configuration
        configuration.tokenService = .init(url: service.url, functionKey: "function-key", ttl: .seconds(600))
        let device = ProcessDevice(id: HubBench.deviceID, configuration: configuration, observer: bench.events.observer, tap: bench.packets)
        #expect(try await device.connect(bench.request()) == .answered, "\(device.outputTail(lines: 10))")
        #expect(bench.events.all.compactMap(\.connAckCode) == [.accepted])
        #expect(service.requestCount == 1)
        let lines = bench.events.all.compactMap { if case .output(let line) = $0 { line } else { nil } }
        #expect(lines.allSatisfy { !$0.contains("function-key") })
        await device.shutdown()
        await service.stop()
        await bench.stop()
    }

    @Test("a firmware that crashes fails the connect with its last output line")
    func crashingFirmware() async throws {
        let bench = try await HubBench.start()
        let python = try Repository.python()
        let device = ProcessDevice(
            id: HubBench.deviceID,
            configuration: .init(command: python, arguments: ["-c", "print('booting'); raise SystemExit('firmware panic: no wifi')"]),
            observer: bench.events.observer
        )
        let outcome = try await device.connect(bench.request())
        guard case .connectionEnded(let reason) = outcome else {
            Issue.record("the connect did not fail: \(outcome)")
            return
        }
        #expect(reason.contains("exited with status 1"), "\(reason)")
        #expect(reason.contains("firmware panic: no wifi"), "\(reason)")
        #expect(device.outputTail(lines: 5) == ["booting", "firmware panic: no wifi"])
        #expect(await bench.events.wait { $0.isCrash } != nil)
        // A dead firmware stays down until it is restarted.
        guard case .connectionEnded(let again) = try await device.connect(bench.request()) else {
            Issue.record("a second connect started the firmware again")
            return
        }
        #expect(again.hasPrefix("the firmware has stopped (the firmware process exited with status 1"))
        await bench.stop()
    }

    @Test("the crash reason quotes the last line that says something, not a trailing empty line")
    func crashEndingInEmptyLines() async throws {
        let bench = try await HubBench.start()
        let device = ProcessDevice(
            id: HubBench.deviceID,
            configuration: .init(command: try Repository.python(), arguments: ["-c", "import sys; print('ValueError: '); print('The certificate is not correctly signed by the trusted CA'); print(''); sys.exit(1)"]),
            observer: bench.events.observer
        )
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .connectionEnded(reason: "the firmware process exited with status 1; last output: The certificate is not correctly signed by the trusted CA"))
        await device.shutdown()
        await bench.stop()
    }

    @Test("a command that does not exist fails clearly")
    func missingCommand() async throws {
        let bench = try await HubBench.start()
        let device = ProcessDevice(id: HubBench.deviceID, configuration: .init(command: "no-such-firmware-runner"), observer: bench.events.observer)
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .connectionEnded(reason: "command 'no-such-firmware-runner' was not found on PATH"))
        await bench.stop()
    }

    @Test("a process that never prints the expected line leaves connect waiting until cancelled, then stops")
    func neverReady() async throws {
        let bench = try await HubBench.start()
        let python = try Repository.python()
        let device = ProcessDevice(
            id: HubBench.deviceID,
            configuration: .init(
                command: python,
                arguments: ["-u", "-c", "import time\nprint('still booting')\ntime.sleep(60)"],
                output: FirmwareOutputConfiguration(patterns: OutputPatterns(ready: "^ready$")),
                // Long enough that only SIGTERM (not the SIGKILL fallback) can stop it in time.
                stopGrace: .seconds(30)
            ),
            observer: bench.events.observer
        )
        let started = ContinuousClock.now
        let task = Task { try await device.connect(bench.request()) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let outcome = try await task.value
        #expect(outcome == .connectionEnded(reason: "the wait was cancelled"))
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(device.outputTail(lines: 1) == ["still booting"])
        let stopping = ContinuousClock.now
        await device.shutdown()
        #expect(ContinuousClock.now - stopping < .seconds(15), "SIGTERM must reach the firmware (SIGKILL comes after 30 s)")
        #expect(device.isRunning == false)
        await bench.stop()
    }
}
