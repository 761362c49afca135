/// The short MicroPython program the harness runs before a firmware so that the firmware's
/// pin writes and MQTT traffic show up on its output as line-protocol lines (see
/// ``HarnessLine``), without changing the firmware.
///
/// It replaces the modules the firmware imports with thin wrappers: `machine` (its `Pin`
/// reports every write as `@harness pin <gpio> <0|1>`), `usocket` and `ussl` (the stream the
/// firmware reads and writes reports `@harness net ...` and `@harness mqtt tx|rx <hex>`).
/// It runs unchanged on a MicroPython board (sent over the raw REPL), on the MicroPython unix
/// port and under CPython, the last two with the stand-ins of
/// `scenarios/firmware/esp8266-led/shims` that `run.py` puts on the path.
public enum MicroPythonPrelude {
    /// The prelude's source.
    public static let source = #"""
# harness prelude: reports pin writes and MQTT traffic as '@harness' lines.
def _harness_prelude():
    import sys
    try:
        from ubinascii import hexlify
    except ImportError:
        from binascii import hexlify
    on_micropython = sys.implementation.name == 'micropython'

    def say(*words):
        print('@harness', *words)

    def copy_module(module, overrides):
        class Module:
            pass
        wrapper = Module()
        wrapper._harness_real = module
        for name in dir(module):
            if not name.startswith('__'):
                setattr(wrapper, name, getattr(module, name))
        for name in overrides:
            setattr(wrapper, name, overrides[name])
        return wrapper

    # `machine` first: where the interpreter's own has no Pin (the unix port), a machine.py on
    # the path extends it, and `umachine` would name the built-in module past that file.
    # A second run in the same interpreter (a board resumed, not reset) finds the wrappers of
    # the first in sys.modules; it wraps what they wrap, not them.
    def real(module):
        return getattr(module, '_harness_real', module)

    try:
        import machine as real_machine
    except ImportError:
        import umachine as real_machine
    real_machine = real(real_machine)
    RealPin = real_machine.Pin

    class Pin:
        def __init__(self, id, *args, **kwargs):
            self._pin = RealPin(id, *args, **kwargs)
            self._id = id
            if kwargs.get('value') is not None:
                say('pin', id, 1 if kwargs['value'] else 0)

        def value(self, *args):
            if not args:
                return self._pin.value()
            self._pin.value(args[0])
            say('pin', self._id, 1 if args[0] else 0)

        def __call__(self, *args):
            return self.value(*args)

        def on(self):
            self.value(1)

        def off(self):
            self.value(0)

        def __getattr__(self, name):
            return getattr(self._pin, name)

    for name in dir(RealPin):
        if name[:1].isupper():
            setattr(Pin, name, getattr(RealPin, name))
    machine = copy_module(real_machine, {'Pin': Pin})
    sys.modules['machine'] = machine
    sys.modules['umachine'] = machine

    class Stream:
        def __init__(self, inner):
            self._inner = inner

        def write(self, data, length=None):
            if isinstance(data, str):
                data = data.encode()
            if length is not None:
                data = data[:length]
            written = self._inner.write(data)
            if len(data):
                say('mqtt', 'tx', hexlify(data).decode())
            return written

        def read(self, size=-1):
            data = self._inner.read(size) if size >= 0 else self._inner.read()
            if data:
                say('mqtt', 'rx', hexlify(data).decode())
            elif data is not None and size != 0:
                say('net', 'closed', 'end of stream')
            return data

        def close(self):
            say('net', 'closed', 'closed by the program')
            return self._inner.close()

        def __getattr__(self, name):
            return getattr(self._inner, name)

    try:
        import usocket as real_socket
    except ImportError:
        import socket as real_socket
    real_socket = real(real_socket)

    class Socket(Stream):
        def __init__(self, *args):
            Stream.__init__(self, real_socket.socket(*args))

        def connect(self, address):
            say('net', 'connect')
            self._inner.connect(address)
            say('net', 'connected')

    socket = copy_module(real_socket, {'socket': Socket})
    sys.modules['usocket'] = socket
    if on_micropython:
        sys.modules['socket'] = socket

    real_ssl = None
    try:
        import ussl as real_ssl
    except ImportError:
        if on_micropython:
            try:
                import ssl as real_ssl
            except ImportError:
                pass
    if real_ssl is not None:
        real_ssl = real(real_ssl)

        def wrap_socket(sock, *args, **kwargs):
            # Any run's Stream (a library imported in an earlier run keeps that run's socket
            # wrapper): the socket inside it.
            inner = getattr(sock, '_inner', sock)
            return Stream(real_ssl.wrap_socket(inner, *args, **kwargs))

        ssl = copy_module(real_ssl, {'wrap_socket': wrap_socket})
        sys.modules['ussl'] = ssl
        if on_micropython:
            sys.modules['ssl'] = ssl
    say('state', 'running')


_harness_prelude()
del _harness_prelude
"""#

    /// A MicroPython snippet that makes `import config` give the firmware its settings, as
    /// the CPython launcher does from its environment: `HOST`, `PORT`, `DEVICE_ID`,
    /// `USERNAME`, `PASSWORD`, `SSL`, `CERT_PATH` and any `extra` values.
    /// - Parameter values: attribute names and values (strings, integers or booleans).
    public static func configModule(_ values: [(name: String, value: ConfigValue)]) -> String {
        var lines = [
            "def _harness_config():",
            "    import sys",
            "    class Config:",
            "        pass",
            "    config = Config()",
        ]
        for (name, value) in values {
            lines.append("    config.\(name) = \(value.pythonLiteral)")
        }
        lines += ["    sys.modules['config'] = config", "", "", "_harness_config()", "del _harness_config", ""]
        return lines.joined(separator: "\n")
    }

    /// A value of the firmware's config module.
    public enum ConfigValue: Sendable, Hashable {
        case string(String)
        case integer(Int)
        case boolean(Bool)

        /// The value as a Python literal (strings escaped so any text is safe).
        public var pythonLiteral: String {
            switch self {
            case .integer(let value): return String(value)
            case .boolean(let value): return value ? "True" : "False"
            case .string(let text):
                var literal = "'"
                for scalar in text.unicodeScalars {
                    switch scalar {
                    case "\\": literal += "\\\\"
                    case "'": literal += "\\'"
                    case "\n": literal += "\\n"
                    case "\r": literal += "\\r"
                    default:
                        if scalar.value < 0x20 || scalar.value > 0x7E {
                            literal += scalar.value <= 0xFF
                                ? "\\x" + hex(scalar.value, width: 2)
                                : scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, width: 4) : "\\U" + hex(scalar.value, width: 8)
                        } else {
                            literal.unicodeScalars.append(scalar)
                        }
                    }
                }
                return literal + "'"
            }
        }

        private func hex(_ value: UInt32, width: Int) -> String {
            let digits = String(value, radix: 16)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
    }
}
