import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import Testing

/// A serial board, emulated on a pseudo-terminal: the raw REPL byte for byte, and the seed
/// firmware (uploaded with the prelude) running against the simulated hub.
@Suite(.serialized) struct SerialDeviceTests {
    func board(answers: Bool = true) throws -> BoardEmulator {
        try BoardEmulator(python: try Repository.python(), launcher: Repository.seedFirmware.appendingPathComponent("run.py").path, answers: answers)
    }

    func device(port: String, bench: HubBench, firmware: String? = nil, answerTimeout: Duration = .seconds(5)) -> SerialDevice {
        SerialDevice(
            id: HubBench.deviceID,
            configuration: .init(
                port: SerialPortSettings(path: port, baud: 115_200),
                firmware: firmware ?? Repository.seedFirmware.appendingPathComponent("main.py").path,
                output: FirmwareOutputConfiguration(ledPin: 5, patterns: OutputPatterns(ready: "^connected\\.\\.\\.$")),
                answerTimeout: answerTimeout
            ),
            tokenSource: bench.mintedTokens(),
            observer: bench.events.observer,
            tap: bench.packets
        )
    }

    @Test("the seed firmware on the board: raw REPL, soft reset, upload, LED follows C2D; soft reset at the end")
    func seedFirmwareOnBoard() async throws {
        let bench = try await HubBench.start()
        let emulator = try board()
        let device = device(port: emulator.path, bench: bench)
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .answered, "\(device.outputTail(lines: 20))")
        #expect(bench.events.all.compactMap(\.connAckCode) == [.accepted])
        #expect(try await device.subscribe(to: HubBench.filter, qos: .atMostOnce) == .answered)
        try await bench.send("on")
        #expect(await bench.events.wait { $0.isLEDOn } != nil, "\(device.outputTail(lines: 20))")
        try await bench.send("off")
        #expect(await bench.events.wait { $0.isLEDOff } != nil)
        await device.shutdown()
        // What went over the wire, in order: stop and enter (\r\x03\x03 \r\x01), soft reset
        // (\x04), the program ending in \x04, then Ctrl-C, soft reset and Ctrl-B at the end.
        #expect(await eventually { emulator.receivedBytes.suffix(2) == [0x0D, 0x02] })
        let sent = emulator.receivedBytes
        #expect(Array(sent.prefix(7)) == [0x0D, 0x03, 0x03, 0x0D, 0x01, 0x04, 0x23])
        #expect(Array(sent.suffix(4)) == [0x03, 0x04, 0x0D, 0x02])
        #expect(String(decoding: sent, as: UTF8.self).contains("_harness_prelude()"))
        #expect(bench.events.all.contains { $0.isCrash } == false)
        emulator.stop()
        await bench.stop()
    }

    @Test("restart interrupts the program, soft-resets the board and runs the firmware again")
    func restartBoard() async throws {
        let bench = try await HubBench.start()
        let emulator = try board()
        let device = device(port: emulator.path, bench: bench)
        #expect(try await device.connect(bench.request()) == .answered)
        try await device.restart()
        #expect(try await device.connect(bench.request()) == .answered)
        #expect(bench.events.all.compactMap(\.connAckCode) == [.accepted, .accepted])
        #expect(bench.events.all.contains(.restarted))
        #expect(bench.events.all.contains { $0.isCrash } == false)
        try await bench.send("on")
        #expect(await bench.events.wait { $0.isLEDOn } != nil)
        await device.shutdown()
        #expect(emulator.programsRun == 2)
        emulator.stop()
        await bench.stop()
    }

    @Test("the hub's root certificate is uploaded to the board as ca.pem and named in config.CERT_PATH")
    func certificateUpload() async throws {
        let bench = try await HubBench.start()
        let emulator = try board()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificate = "-----BEGIN CERTIFICATE-----\n" + String(repeating: "QUJD", count: 100) + "\n-----END CERTIFICATE-----\n"
        try Data(certificate.utf8).write(to: folder.appendingPathComponent("root.pem"))
        let firmware = folder.appendingPathComponent("main.py")
        try Data("import config, time\nprint('@harness state', 'ca-%d-%s' % (len(open(config.CERT_PATH).read()), config.SSL))\nwhile True:\n    time.sleep(1)\n".utf8).write(to: firmware)
        let device = SerialDevice(
            id: HubBench.deviceID,
            configuration: .init(port: SerialPortSettings(path: emulator.path), firmware: firmware.path, caFile: folder.appendingPathComponent("root.pem").path),
            tokenSource: bench.mintedTokens(),
            observer: bench.events.observer
        )
        let connecting = Task { try await device.connect(bench.request()) }
        #expect(await bench.events.wait { $0 == .stateReported("ca-\(certificate.utf8.count)-True") } != nil, "\(device.outputTail(lines: 10))")
        connecting.cancel()
        _ = try await connecting.value
        await device.shutdown()
        emulator.stop()
        try? FileManager.default.removeItem(at: folder)
        await bench.stop()
    }

    @Test("a serial port that does not exist fails at once with the system's reason")
    func missingPort() async throws {
        let bench = try await HubBench.start()
        let device = device(port: "/dev/ttyHARNESS-NO-SUCH-PORT", bench: bench)
        let started = ContinuousClock.now
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .connectionEnded(reason: "serial port /dev/ttyHARNESS-NO-SUCH-PORT: cannot open it: No such file or directory"))
        #expect(ContinuousClock.now - started < .seconds(10))
        await bench.stop()
    }

    @Test("a board that never answers fails after the answer timeout, not a hang")
    func silentBoard() async throws {
        let bench = try await HubBench.start()
        let emulator = try board(answers: false)
        let device = device(port: emulator.path, bench: bench, answerTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .connectionEnded(reason: "serial port \(emulator.path): the board did not answer: no raw REPL prompt within 0.3 seconds"))
        #expect(ContinuousClock.now - started < .seconds(15))
        await device.shutdown()
        emulator.stop()
        await bench.stop()
    }

    @Test("firmware that raises on the board: the connect fails with the traceback's last line")
    func crashOnBoard() async throws {
        let bench = try await HubBench.start()
        let emulator = try board()
        let firmware = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString).py")
        try Data("print('starting')\nraise OSError(-2)\n".utf8).write(to: firmware)
        let device = device(port: emulator.path, bench: bench, firmware: firmware.path)
        let outcome = try await device.connect(bench.request())
        #expect(outcome == .connectionEnded(reason: "the program on the board stopped: OSError: -2"))
        #expect(await bench.events.wait { $0 == .crashed(reason: "the program on the board stopped: OSError: -2") } != nil)
        #expect(device.outputTail(lines: 3).contains("starting"))
        await device.shutdown()
        emulator.stop()
        try? FileManager.default.removeItem(at: firmware)
        await bench.stop()
    }
}
