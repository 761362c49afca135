"""MicroPython's utime on CPython."""
import time as _time

sleep = _time.sleep
time = _time.time
localtime = _time.localtime


def sleep_ms(milliseconds):
    _time.sleep(milliseconds / 1000)


def sleep_us(microseconds):
    _time.sleep(microseconds / 1000000)


def ticks_ms():
    return int(_time.monotonic() * 1000) & 0x3FFFFFFF


def ticks_us():
    return int(_time.monotonic() * 1000000) & 0x3FFFFFFF


def ticks_add(ticks, delta):
    return (ticks + delta) & 0x3FFFFFFF


def ticks_diff(end, start):
    difference = (end - start) & 0x3FFFFFFF
    return difference - 0x40000000 if difference & 0x20000000 else difference
