"""MicroPython's ustruct on CPython: the standard struct module."""
from struct import *  # noqa: F401,F403
