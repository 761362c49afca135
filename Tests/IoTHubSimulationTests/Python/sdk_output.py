"""Line output shared by the SDK test scripts: one whole line per call, flushed at once."""
import sys
import threading

_out_lock = threading.Lock()


def out(*parts):
    # The SDK calls back on several threads; print() writes its parts and the newline
    # separately, so unlocked lines could interleave ("STATEC2D ...").
    line = ' '.join(str(part) for part in parts) + '\n'
    with _out_lock:
        sys.stdout.write(line)
        sys.stdout.flush()
