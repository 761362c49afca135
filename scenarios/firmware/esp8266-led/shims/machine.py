"""MicroPython's machine where the interpreter has no pins: pins that remember their value, silently.

Under CPython this is the whole module. Under the MicroPython unix port, whose built-in
`machine` has no Pin, it extends the built-in module (everything it has, plus Pin). The
harness prelude wraps Pin to report writes; without it nothing is printed.
"""
import sys

if sys.implementation.name == 'micropython':
    from umachine import *  # noqa: F401,F403  the built-in module this file extends


class Pin:
    IN = 0
    OUT = 1
    OPEN_DRAIN = 2
    PULL_UP = 1
    PULL_DOWN = 2
    IRQ_RISING = 1
    IRQ_FALLING = 2

    def __init__(self, id, mode=-1, pull=-1, value=None):
        self.id = id
        self.mode = mode
        self._value = 0 if value is None else (1 if value else 0)

    def init(self, mode=-1, pull=-1, value=None):
        if value is not None:
            self._value = 1 if value else 0

    def value(self, *args):
        if not args:
            return self._value
        self._value = 1 if args[0] else 0

    def __call__(self, *args):
        return self.value(*args)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def irq(self, handler=None, trigger=0):
        return None


def _reset():
    sys.stdout.flush()
    if sys.implementation.name == 'micropython':
        sys.exit(0)
    import os

    os._exit(0)


def _unique_id():
    return b'\x00\x00\x00\x00'


def _freq(*args):
    return 80000000


# What the interpreter's own module has stays its own.
for _name, _value in (('reset', _reset), ('unique_id', _unique_id), ('freq', _freq)):
    if _name not in globals():
        globals()[_name] = _value
del _name, _value
