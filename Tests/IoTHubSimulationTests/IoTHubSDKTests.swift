import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The official Azure IoT Python device SDK (azure-iot-device 2.14.0 from PyPI, unmodified)
/// against the simulated hub over TLS. The SDK always dials port 8883, so this suite binds
/// 127.0.0.1:8883 and runs its tests one at a time.
@Suite(.serialized) struct IoTHubSDKTests {
    static let hostName = "sdk-test.azure-devices.net"
    let device = HubFixtures.deviceIDLiteral("sdk-device")

    /// Hub events with the connection order the test checks.
    final class Events: Sendable {
        private let records = Mutex<[HubEvent]>([])
        private let onDisconnect = Mutex<(@Sendable () -> Void)?>(nil)

        func append(_ record: HubEventRecord) {
            records.withLock { $0.append(record.event) }
            if case .disconnected(_, _, .clientDisconnected) = record.event {
                let action = onDisconnect.withLock { action in
                    defer { action = nil }
                    return action
                }
                action?()
            }
        }

        /// Runs `action` once, at the next clean disconnect (the SDK's renewal).
        func whenDisconnected(_ action: @escaping @Sendable () -> Void) { onDisconnect.withLock { $0 = action } }

        var all: [HubEvent] { records.withLock { $0 } }

        var connections: [(index: Int, sessionPresent: Bool)] {
            all.enumerated().compactMap { index, event in
                if case .connected(_, _, _, let present, _) = event { (index, present) } else { nil }
            }
        }
    }

    @Test("the SDK connects unmodified (GatewayHostName=localhost, server_verification_cert), gets C2D at QoS 1, reports and receives twin properties, answers a method, and renews its token without losing C2D")
    func pythonSDK() async throws {
        // sastoken_ttl 130 s: the SDK renews 120 s before expiry, so 10 s after connecting.
        try await withSDK(arguments: ["130"]) { sdk, hub, events in try await exercise(sdk, hub: hub, events: events) }
    }

    @Test("fault injection: the SDK's KillTcp message drops it before the PUBACK; it comes back after the fault window, gets the C2D sent during it, and its retransmitted fault message is acknowledged, not repeated")
    func pythonSDKFaultInjection() async throws {
        // Retry every second (the SDK's default is 10 s) so the test takes seconds.
        try await withSDK(arguments: ["3600", "1"]) { sdk, hub, events in try await injectKillTcp(sdk, hub: hub, events: events) }
    }

    /// Starts a simulated hub on 8883 with the device and the official SDK's script against it
    /// (its connection string and the hub's CA, then `arguments`), runs `body`, and checks the
    /// script quits cleanly with no ERROR line.
    private func withSDK(arguments: [String], _ body: (ExternalProcess, SimulatedHub, Events) async throws -> Void) async throws {
        let python = try Repository.python()
        let script = try #require(Bundle.module.url(forResource: "sdk_device", withExtension: "py", subdirectory: "Python")).path
        let key = DeviceKey.random()
        let events = Events()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: Self.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: device, primaryKey: key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            observer: { events.append($0) }
        )
        let endpoints = try await Self.startOnSDKPort(hub)
        let ca = try #require(endpoints.caCertificatePath)
        let connectionString = ConnectionString(hostName: Self.hostName, deviceID: device.string, sharedAccessKey: key, gatewayHostName: "localhost").rendered
        let sdk = try ExternalProcess(python, [script, connectionString, ca] + arguments)
        defer { sdk.terminate() }
        do {
            try await body(sdk, hub, events)
        } catch {
            await hub.stop()
            throw error
        }
        sdk.send("quit")
        let status = await sdk.wait(timeout: .seconds(20))
        #expect(status == 0, "\(sdk.transcript)")
        #expect(sdk.lines(startingWith: "ERROR").isEmpty, "\(sdk.transcript)")
        await hub.stop()
    }

    private func injectKillTcp(_ sdk: ExternalProcess, hub: SimulatedHub, events: Events) async throws {
        guard await sdk.waitForLine(startingWith: "READY", timeout: .seconds(60)) != nil else {
            Issue.record("the SDK did not get ready:\n\(sdk.transcript)")
            return
        }
        sdk.send("fault KillTcp boom 1 2")
        func killed() -> Int? {
            events.all.firstIndex {
                if case .disconnected(_, _, .fault(let activation, .dropped)) = $0 { activation.injection?.type == .killTcp } else { false }
            }
        }
        var dropAt = killed()
        for _ in 0..<100 where dropAt == nil {
            try await Task.sleep(for: .milliseconds(50))
            dropAt = killed()
        }
        let drop = try #require(dropAt, "the hub did not kill the connection:\n\(sdk.transcript)")
        // The fault message was not forwarded as telemetry, and got no PUBACK before the drop.
        #expect(!events.all[..<drop].contains { if case .telemetry = $0 { true } else { false } })
        #expect(sdk.lines(startingWith: "FAULT_SENT").isEmpty)

        // Sent in the fault window, while the device is away.
        try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "during"), messageID: "c2d-during-fault"), to: device)
        let received = await sdk.waitForLine(startingWith: "C2D c2d-during-fault ", timeout: .seconds(20))
        #expect(received == "C2D c2d-during-fault during {}", "\(sdk.transcript)")
        let sent = await sdk.waitForLine(startingWith: "FAULT_SENT", timeout: .seconds(10))
        #expect(sent == "FAULT_SENT KillTcp", "\(sdk.transcript)")

        let all = events.all
        let started = all.firstIndex { if case .fault(.started(let activation, _)) = $0 { activation.injection?.type == .killTcp } else { false } }
        let ended = all.firstIndex { if case .fault(.ended(let activation)) = $0 { activation.injection?.type == .killTcp } else { false } }
        let back = events.connections.first { $0.index > drop }
        #expect(started.map { $0 < drop } == true)
        #expect(ended != nil)
        #expect(back?.sessionPresent == true, "the SDK did not come back with its session")
        // It came back after the window, not during it.
        #expect(ended.flatMap { end in back.map { end < $0.index } } == true)
        #expect(all.contains(.fault(.requestRepeated(device, type: "KillTcp"))), "the SDK did not retransmit its fault message: \(all)")
        #expect(all.filter { if case .fault(.requested) = $0 { true } else { false } }.count == 1)
        #expect(all.filter { $0 == .cloudToDeviceCompleted(device, messageID: "c2d-during-fault") }.count <= 1)
    }

    private func exercise(_ sdk: ExternalProcess, hub: SimulatedHub, events: Events) async throws {
        guard await sdk.waitForLine(startingWith: "READY", timeout: .seconds(60)) != nil else {
            Issue.record("the SDK did not get ready:\n\(sdk.transcript)")
            return
        }
        // Twin: the reported patch (204) and the GET (200) both worked.
        let twinLine = try #require(sdk.lines(startingWith: "TWIN ").first)
        let twin = try JSONValue(parsing: Array(twinLine.dropFirst(5).utf8))
        #expect(twin.objectValue?["reported"] == .object(["led": .string("on"), "firmware": .object(["version": .integer(2)]), "$version": .integer(2)]))
        #expect(try await hub.twin(of: device).reported["led"] == .string("on"))

        // C2D at QoS 1 with an application property.
        try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), properties: ["color": "red"], messageID: "c2d-first"), to: device)
        let received = await sdk.waitForLine(startingWith: "C2D c2d-first ", timeout: .seconds(10))
        #expect(received == #"C2D c2d-first on {"color": "red"}"#, "\(sdk.transcript)")
        #expect(events.all.contains(.cloudToDeviceDelivered(device, messageID: "c2d-first", qos: .atLeastOnce, duplicate: false)))

        // Desired properties pushed while connected.
        try await hub.updateTwin(of: device, desired: ["interval": .integer(5)])
        let desired = await sdk.waitForLine(startingWith: #"DESIRED {"$version": 2"#, timeout: .seconds(10))
        #expect(desired == #"DESIRED {"$version": 2, "interval": 5}"#, "\(sdk.transcript)")

        // A direct method, answered by the SDK's handler.
        let result = try await hub.invokeMethod(DirectMethodRequest(methodName: "blink", payload: .object(["times": .integer(2)])), on: device)
        #expect(result == .response(status: 200, payload: .object(["echo": .object(["times": .integer(2)])])))

        // Token renewal: the SDK disconnects and reconnects with a new token, without
        // re-subscribing. C2D keeps flowing across it, and one message is sent while the
        // device is between connections.
        let beforeRenewal = events.all.count
        events.whenDisconnected {
            // On the hub's loop, before it handles the reconnect: the message enters the gap.
            hub.sendCloudToDeviceImmediately(CloudToDeviceMessage(payload: ByteBuffer(string: "gap"), messageID: "c2d-gap"), to: device)
        }
        var sent = ["c2d-gap"]
        let deadline = ContinuousClock.now + .seconds(25)
        var renewedAt: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let id = "c2d-\(sent.count)"
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "tick"), messageID: id), to: device)
            sent.append(id)
            if renewedAt == nil, events.connections.contains(where: { $0.index >= beforeRenewal }) { renewedAt = .now }
            if let renewedAt, ContinuousClock.now - renewedAt > .seconds(1) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        let renewal = try #require(events.connections.first { $0.index >= beforeRenewal }, "the SDK did not renew its token within 25 s:\n\(sdk.transcript)")
        #expect(renewal.sessionPresent)
        let afterRenewal = events.all[renewal.index...]
        #expect(!afterRenewal.contains { if case .subscribed = $0 { true } else { false } }, "the SDK re-subscribed after renewing")
        for id in sent {
            let line = await sdk.waitForLine(startingWith: "C2D \(id) ", timeout: .seconds(10))
            #expect(line != nil, "C2D \(id) was lost around the token renewal:\n\(sdk.transcript)")
        }
        // The SDK prints a message before its PUBACK reaches the hub: wait for the queue to drain.
        var depth = try await hub.queueDepth(of: device)
        for _ in 0..<250 where depth > 0 {
            try await Task.sleep(for: .milliseconds(20))
            depth = try await hub.queueDepth(of: device)
        }
        #expect(depth == 0)
        let gapEnqueued = events.all.firstIndex { if case .cloudToDeviceEnqueued(_, "c2d-gap", _) = $0 { true } else { false } }
        // The gap message reached the hub while the device was between its two connections, and
        // was still delivered (waited for above).
        #expect(gapEnqueued.map { $0 < renewal.index } == true, "c2d-gap was not sent during the renewal gap")
    }
}

extension IoTHubSDKTests {
    /// Starts `hub` on 127.0.0.1:8883, the port the SDK always dials. Another process of the
    /// test run may hold it for a moment (a broker or hub of another suite shutting down), so
    /// a taken port is tried again for up to 15 s before the test fails with the bind error.
    static func startOnSDKPort(_ hub: SimulatedHub) async throws -> HubEndpoints {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            do {
                return try await hub.start(HubListeners(tlsPort: 8883))
            } catch let error as IOError where error.errnoCode == EADDRINUSE && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
