import Glibc
import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulation
@testable import IoTHubSimulationCore
import NIOCore
import NIOPosix
import Testing

/// The service HTTP port against slow, oversized, malformed and too many clients.
@Suite struct ServiceHTTPLimitsTests {
    func withServer(_ limits: ServiceHTTPLimits, _ body: (ServiceHTTPServer, Int) async throws -> Void) async throws {
        let hub = SimulatedHub(configuration: HubConfiguration(hostName: HubFixtures.hostName), group: MultiThreadedEventLoopGroup.singleton)
        let server = ServiceHTTPServer(api: HubServiceAPI(hub: hub, tokenServiceKey: "function-key-1"), limits: limits)
        let port = try await server.start()
        do { try await body(server, port) } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static let short = ServiceHTTPLimits(requestTimeout: .seconds(2), maximumBodySize: 512 * 1024, maximumConnections: 4)

    @Test("on the wire: silent, half-sent and slow clients are closed at the request timeout; slow bodies get 408")
    func slowClients() async throws {
        try await withServer(Self.short) { _, port in
            let silent = try await RawSocketClient.connect(port: port)
            let partial = try await RawSocketClient.connect(port: port)
            await partial.write("GET /devices/esp8266?api-version=1 HTTP/1.1\r\nHost: x\r\nX-Slow")
            let slowBody = try await RawSocketClient.connect(port: port)
            await slowBody.write("PUT /devices/esp8266?api-version=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            let start = ContinuousClock.now
            for client in [silent, partial, slowBody] { #expect(await client.waitForClose(timeout: .seconds(5))) }
            #expect(ContinuousClock.now - start < .seconds(6))
            #expect(silent.received.isEmpty)
            #expect(partial.received.isEmpty)
            #expect(slowBody.receivedText.hasPrefix("HTTP/1.1 408"), "\(slowBody.receivedText)")
        }
    }

    @Test("on the wire: an idle keep-alive connection is closed a timeout after its last response")
    func idleKeepAlive() async throws {
        // Long enough for the request to arrive on a busy machine.
        try await withServer(ServiceHTTPLimits(requestTimeout: .seconds(3))) { _, port in
            let client = try await RawSocketClient.connect(port: port)
            await client.write("GET /devices/esp8266?api-version=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await client.waitForBytes(12, timeout: .seconds(2)))
            let answered = ContinuousClock.now
            #expect(client.receivedText.hasPrefix("HTTP/1.1 401"), "\(client.receivedText)")
            #expect(await client.waitForClose(timeout: .seconds(8)))
            #expect(ContinuousClock.now - answered > .seconds(1))
        }
    }

    @Test("on the wire: Content-Length 10^12 gets 413 from the head alone and the connection closes")
    func hugeContentLength() async throws {
        try await withServer(ServiceHTTPLimits()) { _, port in
            let client = try await RawSocketClient.connect(port: port)
            // The head alone: the answer must come without a byte of the body.
            await client.write("POST /devices/esp8266/messages/deviceBound?api-version=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n")
            #expect(await client.waitForClose(timeout: .seconds(5)))
            #expect(client.receivedText.hasPrefix("HTTP/1.1 413"), "\(client.receivedText)")
            #expect(client.receivedText.contains("Connection: close") || client.receivedText.contains("connection: close"))
        }
    }

    @Test("on the wire: malformed HTTP gets 400 and the connection is closed")
    func malformedRequest() async throws {
        try await withServer(ServiceHTTPLimits()) { _, port in
            let client = try await RawSocketClient.connect(port: port)
            await client.write("GARBAGE\u{0}\r\n\r\n")
            #expect(await client.waitForClose(timeout: .seconds(2)))
            #expect(client.receivedText.hasPrefix("HTTP/1.1 400"), "\(client.receivedText)")
        }
    }

    @Test("on the wire: beyond the connection limit a new connection gets 503 ServerBusy with Connection: close and is closed; a freed place admits one again")
    func connectionLimit() async throws {
        try await withServer(ServiceHTTPLimits(requestTimeout: .seconds(30), maximumBodySize: 1024, maximumConnections: 4)) { server, port in
            var held: [RawSocketClient] = []
            for _ in 0..<4 { held.append(try await RawSocketClient.connect(port: port)) }
            for _ in 0..<200 where server.connectionCount < 4 { try await Task.sleep(for: .milliseconds(5)) }
            let extra = try await RawSocketClient.connect(port: port)
            #expect(await extra.waitForClose(timeout: .seconds(2)))
            let answer = extra.receivedText
            #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(answer)")
            #expect(answer.contains("\r\nConnection: close\r\n") && answer.contains("\r\niothub-errorcode: ServerBusy\r\n"))
            #expect(answer.contains("\"Message\":\"ErrorCode:ServerBusy;"))
            // One that sends its request at once gets the same answer, not a reset.
            let eager = try await RawSocketClient.connect(port: port)
            await eager.write("POST /devices/esp8266/messages/deviceBound?api-version=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            #expect(await eager.waitForClose(timeout: .seconds(3)))
            #expect(eager.receivedText.hasPrefix("HTTP/1.1 503"), "\(eager.receivedText)")
            #expect(server.connectionCount == 4)
            await held[0].close()
            for _ in 0..<200 where server.connectionCount > 3 { try await Task.sleep(for: .milliseconds(5)) }
            let admitted = try await RawSocketClient.connect(port: port)
            await admitted.write("GET /devices/esp8266?api-version=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await admitted.waitForBytes(12, timeout: .seconds(2)))
            #expect(admitted.receivedText.hasPrefix("HTTP/1.1 401"))
            for client in held + [admitted] { await client.close() }
        }
    }

    @Test("on the wire: the 503 answers that linger have a limit of their own; beyond it a connection is closed without one")
    func lingeringRefusals() async throws {
        try await withServer(ServiceHTTPLimits(requestTimeout: .seconds(30), maximumBodySize: 1024, maximumConnections: 2)) { server, port in
            var held: [RawSocketClient] = []
            for _ in 0..<2 { held.append(try await RawSocketClient.connect(port: port)) }
            for _ in 0..<200 where server.connectionCount < 2 { try await Task.sleep(for: .milliseconds(5)) }
            // Two refused clients that keep their side open and read nothing: their 503s linger.
            let refused = (0..<2).map { _ in Self.silentSocket(port: port) }
            #expect(refused.allSatisfy { $0 >= 0 })
            try await Task.sleep(for: .milliseconds(300))
            let flood = try await RawSocketClient.connect(port: port)
            #expect(await flood.waitForClose(timeout: .seconds(2)))
            #expect(flood.receivedText.isEmpty, "\(flood.receivedText)")
            for descriptor in refused { close(descriptor) }
            try await Task.sleep(for: .milliseconds(200))
            let later = try await RawSocketClient.connect(port: port)
            #expect(await later.waitForBytes(12, timeout: .seconds(2)))
            #expect(later.receivedText.hasPrefix("HTTP/1.1 503"))
            for client in held + [later, flood] { await client.close() }
        }
    }

    /// A TCP connection to the loopback port that never reads, writes or closes (until the
    /// test closes its descriptor): a client that leaves the server's answer unread.
    static func silentSocket(port: Int) -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return -1
        }
        return descriptor
    }
}
