// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "harness",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "harness", targets: ["harness"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    ],
    targets: [
        // MQTT 3.1.1 wire model, codec, topics and packet tap. Pure: NIOCore only.
        .target(
            name: "MQTTCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // Azure IoT Hub conventions: SAS tokens, credentials, topics and their one parser,
        // property bags, the one C2D message value, service error codes, JSON values. Pure:
        // MQTTCore and NIOCore (ByteBuffer payloads) only.
        .target(
            name: "IoTHubCore",
            dependencies: [
                "MQTTCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The simulated hub's rules, pure: the hub state machine, C2D queues, twins, direct
        // methods, token policy, X.509 device checks, service routes and authorisation. No
        // sockets: NIOCore only (X509 and Crypto parse and check certificates in memory).
        .target(
            name: "IoTHubSimulationCore",
            dependencies: [
                "MQTTCore", "IoTHubCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // MQTT over WebSockets, both ends: the handler that carries the MQTT byte stream in
        // binary frames (NIOWebSocket frames it), the client's HTTP upgrade, the hub's path and
        // subprotocol.
        .target(
            name: "MQTTWebSocket",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The simulated hub's drivers: the NIO broker, TLS, WebSockets, the service HTTP server.
        .target(
            name: "IoTHubSimulation",
            dependencies: [
                "MQTTCore", "IoTHubCore", "IoTHubSimulationCore", "CHeap", "MQTTWebSocket",
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one MQTT client engine, pure: the session state machine and the policies that
        // make each client (device profiles, generic client, cloud, load). No sockets: NIOCore
        // only, so SwiftPM refuses a socket or TLS import here.
        .target(
            name: "MQTTClientCore",
            dependencies: ["MQTTCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // The one NIO driver of a client session: TCP or TLS (the one place client TLS contexts
        // are built), WebSockets, raw bytes, the codec with the packet tap, timers; and the cloud
        // connection of broker targets on it.
        .target(
            name: "MQTTClient",
            dependencies: [
                "MQTTCore", "MQTTClientCore", "MQTTWebSocket",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Devices under test on the client engine: simulated device profiles, the generic
        // client, token sources, process devices (firmware on a host) and serial boards
        // (MicroPython raw REPL).
        .target(
            name: "Devices",
            dependencies: [
                "MQTTCore", "IoTHubCore", "MQTTClientCore", "MQTTClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // A client of the IoT Hub service REST API (C2D sends), for `harness send` and azure://.
        .target(
            name: "IoTHubServiceClient",
            dependencies: [
                "IoTHubCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The tap proxy: sits between firmware the harness does not own and its broker, and
        // times every MQTT packet both ways.
        .target(
            name: "NetworkTap",
            dependencies: [
                "MQTTCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Report models and writers (JUnit XML, traces, console, redaction). Depends on nothing.
        .target(
            name: "Reporting",
            swiftSettings: swiftSettings
        ),
        // Scenario model, YAML loader with positions, runner and report glue.
        .target(
            name: "Scenario",
            dependencies: [
                "MQTTCore", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "Devices", "Reporting", "MQTTClient", "IoTHubServiceClient", "NetworkTap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Resources/scenario.schema.json"],
            resources: [.copy("Resources/mqtt-3.1.1-statements.tsv"), .copy("Resources/mqtt-5.0-statements.tsv")],
            swiftSettings: swiftSettings
        ),
        // The C library's heap: statistics (glibc mallinfo2) for `harness bench codec`, and
        // giving freed memory back (malloc_trim) after a burst of hub connections.
        .target(name: "CHeap"),
        // The benchmarks behind `harness bench`: the codec, the hub against Mosquitto, a burst
        // of clients that never authenticate.
        .target(
            name: "Benchmarks",
            dependencies: [
                "MQTTCore", "MQTTClient", "MQTTClientCore", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "Scenario", "CHeap", "Devices", "Reporting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Command line: argument-parser commands, in a library so tests parse in-process.
        .target(
            name: "HarnessCLI",
            dependencies: [
                "Scenario", "Reporting", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "MQTTCore", "MQTTClientCore", "MQTTClient", "IoTHubServiceClient", "Benchmarks", "Devices",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "harness",
            dependencies: ["HarnessCLI"],
            swiftSettings: swiftSettings
        ),
        // The properties the codec keeps for any input, shared by the fuzzer and the tests.
        .target(
            name: "MQTTFuzzChecks",
            dependencies: ["MQTTCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // libFuzzer target for the codec (see the README for the build command); built
        // plainly it replays corpus files. Corpus: seed inputs and regression inputs.
        .executableTarget(
            name: "MQTTFuzzer",
            dependencies: ["MQTTFuzzChecks"],
            exclude: ["Corpus"],
            swiftSettings: swiftSettings
        ),
        // Test-only helpers shared by the test targets.
        .target(
            name: "HarnessTestSupport",
            dependencies: [
                "MQTTCore", "IoTHubCore", "IoTHubSimulationCore", "Devices", "MQTTClient", "MQTTClientCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTCoreTests",
            dependencies: [
                "MQTTCore", "HarnessTestSupport", "MQTTFuzzChecks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Our codec against a real broker (Mosquitto, started by the tests on loopback).
        .testTarget(
            name: "MQTTCoreIntegrationTests",
            dependencies: [
                "MQTTCore", "HarnessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IoTHubCoreTests",
            dependencies: ["IoTHubCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IoTHubSimulationCoreTests",
            dependencies: [
                "IoTHubSimulationCore", "IoTHubCore", "MQTTCore", "HarnessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IoTHubSimulationTests",
            dependencies: [
                "IoTHubSimulation", "IoTHubSimulationCore", "IoTHubCore", "MQTTCore", "HarnessTestSupport", "MQTTWebSocket",
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            resources: [.copy("Python")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DevicesTests",
            dependencies: [
                "Devices", "MQTTCore", "MQTTClientCore", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "HarnessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The client engine without sockets: events in, actions out, time passed in.
        .testTarget(
            name: "MQTTClientCoreTests",
            dependencies: ["MQTTClientCore", "MQTTCore", "HarnessTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTClientTests",
            dependencies: [
                "MQTTClient", "MQTTClientCore", "IoTHubSimulation", "IoTHubSimulationCore", "IoTHubCore", "MQTTCore", "HarnessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NetworkTapTests",
            dependencies: [
                "NetworkTap", "IoTHubSimulation", "IoTHubSimulationCore", "IoTHubCore", "MQTTCore", "HarnessTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReportingTests",
            dependencies: ["Reporting", "HarnessTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ScenarioTests",
            dependencies: [
                "Scenario", "Reporting", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "MQTTCore", "MQTTClientCore", "MQTTClient", "Devices", "HarnessTestSupport", "NetworkTap",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HarnessCLITests",
            dependencies: [
                "HarnessCLI", "Benchmarks", "Scenario", "Reporting", "HarnessTestSupport", "IoTHubCore", "IoTHubSimulation", "IoTHubSimulationCore", "MQTTCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
