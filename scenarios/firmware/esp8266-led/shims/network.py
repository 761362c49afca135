"""MicroPython's network where the interpreter has none (CPython, the MicroPython unix port):
a station interface that is always on the network, as a board on a working Wi-Fi."""
STA_IF = 0
AP_IF = 1
STAT_GOT_IP = 5


class WLAN:
    def __init__(self, interface=STA_IF):
        self.interface = interface
        self._active = False
        self._connected = False

    def active(self, *args):
        if args:
            self._active = bool(args[0])
        return self._active

    def connect(self, ssid=None, password=None, **unused):
        self._connected = True

    def disconnect(self):
        self._connected = False

    def isconnected(self):
        return self._connected

    def status(self, *args):
        return STAT_GOT_IP if self._connected else 0

    def ifconfig(self, *args):
        return ('127.0.0.1', '255.0.0.0', '127.0.0.1', '127.0.0.1')
