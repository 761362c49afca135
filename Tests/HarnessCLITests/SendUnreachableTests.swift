import Foundation
import HarnessTestSupport
import NIOCore
import NIOPosix
import Testing

/// `harness send` to a hub that is not there: the reason in plain words and exit 1, never NIO's
/// text or a trap (a debug build trapped on the reply's leaked promise).
@Suite struct SendUnreachableTests {
    @Test("harness send with no hub listening: 'connection to ... refused: is the hub running?', exit 1")
    func refused() async throws {
        let socket = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(socket.localAddress?.port)
        try await socket.close()
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        for _ in 0..<3 {
            let output = try await HarnessBinary.run([
                "send", "--device", "esp8266", "on", "--hub", "http://127.0.0.1:\(port)",
                "--connection-string", "HostName=h.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=\(key)",
            ])
            #expect(output.status == 1, "\(output.standardError)")
            #expect(output.standardError == "error: cannot send to the hub at http://127.0.0.1:\(port): connection to 127.0.0.1:\(port) refused: is the hub running?\n")
        }
    }
}
