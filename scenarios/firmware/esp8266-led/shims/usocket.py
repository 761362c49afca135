"""MicroPython's usocket on CPython: stream sockets with read/write as on the boards.

`read(n)` blocks until n bytes arrived or the peer closed (then it returns fewer, b'' at
the end), and returns None when a non-blocking socket has nothing yet; `write` takes bytes or
str and an optional length, as umqtt.simple uses it.
"""
import socket as _socket

AF_INET = _socket.AF_INET
AF_INET6 = _socket.AF_INET6
SOCK_STREAM = _socket.SOCK_STREAM
SOCK_DGRAM = _socket.SOCK_DGRAM
IPPROTO_TCP = _socket.IPPROTO_TCP
SOL_SOCKET = _socket.SOL_SOCKET
SO_REUSEADDR = _socket.SO_REUSEADDR


def getaddrinfo(host, port, af=0, type=0, proto=0, flags=0):
    return _socket.getaddrinfo(host, port, af, type or SOCK_STREAM, proto, flags)


class socket:
    def __init__(self, af=AF_INET, type=SOCK_STREAM, proto=0, _wrapped=None):
        self._sock = _wrapped if _wrapped is not None else _socket.socket(af, type, proto)

    def connect(self, address):
        self._sock.connect(address)

    def write(self, data, length=None):
        if isinstance(data, str):
            data = data.encode()
        data = bytes(data if length is None else data[:length])
        self._sock.sendall(data)
        return len(data)

    send = write

    def read(self, size=-1):
        chunks = []
        received = 0
        while size < 0 or received < size:
            try:
                chunk = self._sock.recv(4096 if size < 0 else size - received)
            except BlockingIOError:
                if not chunks:
                    return None
                self._sock.setblocking(True)
                continue
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
        return b''.join(chunks)

    recv = read

    def readline(self):
        line = b''
        while not line.endswith(b'\n'):
            byte = self.read(1)
            if not byte:
                break
            line += byte
        return line

    def setblocking(self, flag):
        self._sock.setblocking(flag)

    def settimeout(self, value):
        self._sock.settimeout(value)

    def setsockopt(self, level, option, value):
        self._sock.setsockopt(level, option, value)

    def close(self):
        self._sock.close()
