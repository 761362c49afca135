import Devices
import Foundation
import Scenario
import Testing

/// `runtime:` of process devices: the interpreter the harness finds instead of a `command`.
@Suite struct ProcessRuntimeTests {
    func load(_ device: String) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: "device:\n\(device)\nsteps:\n  - connect: {}\n", path: "runtime.yaml")
    }

    func error(_ device: String) -> String {
        do {
            _ = try load(device)
            return "loaded"
        } catch {
            return "\(error)"
        }
    }

    @Test("runtime: micropython stands in for command")
    func micropython() throws {
        let scenario = try load("  id: esp8266\n  kind: process\n  runtime: micropython\n  args: [run.py]")
        guard case .process(let settings, _) = scenario.targets[0].devices[0].settings else {
            Issue.record("not a process device")
            return
        }
        #expect(settings.runtime == .micropython)
        #expect(settings.command.isEmpty)
        #expect(settings.arguments == ["run.py"])
    }

    @Test("a process device needs a command or a runtime, and only one of them; an unknown runtime is named")
    func refusals() {
        #expect(error("  id: esp8266\n  kind: process\n  args: [run.py]").contains("needs a 'command' (for example python3) or a 'runtime' (for example micropython)"))
        #expect(error("  id: esp8266\n  kind: process\n  command: python3\n  runtime: micropython").contains("give a 'command' or a 'runtime' (which finds the interpreter), not both"))
        #expect(error("  id: esp8266\n  kind: process\n  runtime: micropyton").contains("runtime 'micropyton' is not known (did you mean 'micropython'?); known: micropython"))
        #expect(error("  id: esp8266\n  runtime: micropython").contains("'runtime' is for devices of kind 'process', and this one is 'simulated'"))
    }

    @Test("--device runtime=micropython replaces the file's command, and command= the runtime")
    func overrides() throws {
        let yaml = "device:\n  id: esp8266\n  kind: process\n  command: python3\nsteps:\n  - connect: {}\n"
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "runtime.yaml", options: LoadOptions(deviceOverrides: [("runtime", "micropython")]))
        guard case .process(let settings, _) = scenario.targets[0].devices[0].settings else {
            Issue.record("not a process device")
            return
        }
        #expect(settings.runtime == .micropython && settings.command.isEmpty)
    }

    @Test("the interpreter: HARNESS_MICROPYTHON, else micropython on PATH; MICROPYPATH keeps .frozen")
    func interpreter() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let binary = folder.appendingPathComponent("micropython")
        try Data("#!/bin/sh\n".utf8).write(to: binary)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        #expect(try FirmwareRuntime.micropython.executable(environment: ["PATH": folder.path], workingDirectory: "/") == binary.path)
        #expect(try FirmwareRuntime.micropython.executable(environment: ["PATH": "/nonexistent", "HARNESS_MICROPYTHON": binary.path], workingDirectory: "/") == binary.path)
        #expect(throws: ProcessDeviceError.self) { try FirmwareRuntime.micropython.executable(environment: ["PATH": "/nonexistent"], workingDirectory: "/") }
        var environment = ["MICROPYPATH": "/lib"]
        FirmwareRuntime.micropython.prepare(&environment)
        #expect(environment["MICROPYPATH"] == "/lib:.frozen")
        FirmwareRuntime.micropython.prepare(&environment)
        #expect(environment["MICROPYPATH"] == "/lib:.frozen")
        var unset: [String: String] = [:]
        FirmwareRuntime.micropython.prepare(&unset)
        #expect(unset["MICROPYPATH"] == nil)
    }
}
