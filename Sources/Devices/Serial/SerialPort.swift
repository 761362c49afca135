#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a board is attached and how fast it talks.
public struct SerialPortSettings: Sendable, Hashable {
    /// The tty, for example `/dev/ttyUSB0`.
    public var path: String
    public var baud: Int

    /// Baud rates the port can be set to.
    public static let supportedBaudRates = [9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600]

    public init(path: String, baud: Int = 115_200) {
        self.path = path
        self.baud = baud
    }
}

/// Why a serial port could not be used.
public struct SerialPortError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "serial port \(path): \(reason)" }
}

/// An open serial port in raw mode (no echo, no line editing, 8 data bits, no parity, one stop
/// bit, no flow control) at the chosen baud rate.
final class SerialPort: Sendable {
    let settings: SerialPortSettings
    let descriptor: Int32

    /// Opens and configures the port.
    /// - Throws: ``SerialPortError`` naming the port and the system's reason (for example "No
    ///   such file or directory" when nothing is attached).
    init(_ settings: SerialPortSettings) throws(SerialPortError) {
        self.settings = settings
        let descriptor = open(settings.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SerialPortError(path: settings.path, reason: "cannot open it: \(Self.systemError())")
        }
        self.descriptor = descriptor
        do {
            try configure()
        } catch {
            systemClose(descriptor)
            throw error
        }
    }

    private func configure() throws(SerialPortError) {
        guard isatty(descriptor) == 1 else {
            throw SerialPortError(path: settings.path, reason: "it is not a terminal device")
        }
        guard let speed = Self.speed(for: settings.baud) else {
            throw SerialPortError(path: settings.path, reason: "baud \(settings.baud) is not supported")
        }
        var options = termios()
        guard tcgetattr(descriptor, &options) == 0 else {
            throw SerialPortError(path: settings.path, reason: "cannot read its settings: \(Self.systemError())")
        }
        cfmakeraw(&options)
        options.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        options.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        options.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &options.c_cc) { bytes in
            bytes[Int(VMIN)] = 0
            bytes[Int(VTIME)] = 0
        }
        guard cfsetispeed(&options, speed) == 0, cfsetospeed(&options, speed) == 0 else {
            throw SerialPortError(path: settings.path, reason: "cannot set baud \(settings.baud): \(Self.systemError())")
        }
        guard tcsetattr(descriptor, TCSANOW, &options) == 0 else {
            throw SerialPortError(path: settings.path, reason: "cannot apply its settings: \(Self.systemError())")
        }
        tcflush(descriptor, TCIOFLUSH)
    }

    /// Writes all of `bytes`, waiting while the port is busy.
    /// - Throws: ``SerialPortError`` when the port fails.
    func write(_ bytes: [UInt8]) throws(SerialPortError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                systemWrite(descriptor, buffer.baseAddress, buffer.count)
            }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, 100)
                    continue
                }
                throw SerialPortError(path: settings.path, reason: "write failed: \(Self.systemError())")
            }
            offset += written
        }
    }

    /// Reads what is available, waiting up to `timeoutMilliseconds` for something.
    /// - Returns: the bytes (empty when nothing came in time).
    /// - Throws: ``SerialPortError`` when the port fails or was closed (the board went away).
    func read(timeoutMilliseconds: Int32) throws(SerialPortError) -> [UInt8] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return [] }
            throw SerialPortError(path: settings.path, reason: "waiting for data failed: \(Self.systemError())")
        }
        guard ready > 0 else { return [] }
        if poller.revents & Int16(POLLIN) == 0, poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
            throw SerialPortError(path: settings.path, reason: "the device went away")
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            throw SerialPortError(path: settings.path, reason: "read failed: \(Self.systemError())")
        }
        return Array(buffer.prefix(count))
    }

    func close() {
        systemClose(descriptor)
    }

    static func speed(for baud: Int) -> speed_t? {
        switch baud {
        case 9600: speed_t(B9600)
        case 19_200: speed_t(B19200)
        case 38_400: speed_t(B38400)
        case 57_600: speed_t(B57600)
        case 115_200: speed_t(B115200)
        case 230_400: speed_t(B230400)
        case 460_800: speed_t(B460800)
        case 921_600: speed_t(B921600)
        default: nil
        }
    }

    static func systemError() -> String {
        String(cString: strerror(errno))
    }
}

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

private func systemClose(_ descriptor: Int32) {
    _ = close(descriptor)
}
