"""What an app does on a level, as Satella's install_force_gc_collect does: collect garbage, then
hand the freed heap back to the system."""
import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger("memhook")
_libc = None


def malloc_trim(pad_bytes=0):
    """Calls glibc's malloc_trim(pad_bytes): True when memory was given back to the system, False
    when none could be, None when the C library has no malloc_trim (musl, macOS)."""
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _libc.malloc_trim.argtypes = [ctypes.c_size_t]
            _libc.malloc_trim.restype = ctypes.c_int
        except (OSError, AttributeError):
            _libc = False
    if not _libc:
        return None
    return bool(_libc.malloc_trim(pad_bytes))


def collect_and_trim():
    """gc.collect(), then malloc_trim(0); returns the objects collected."""
    collected = gc.collect()
    trimmed = malloc_trim(0)
    log.info("gc collected %d objects; malloc_trim %s", collected,
             {True: "released memory", False: "had nothing to release",
              None: "not available"}[trimmed])
    return collected
