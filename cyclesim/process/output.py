"""The guest's stdout and stderr on the host: streamed, and kept only up to a cap.

A guest may write gigabytes. What it writes is copied to the host stream as it is written
(when echoing), and the result keeps at most ``limit`` bytes of each stream (the first
``limit`` bytes; default :data:`DEFAULT_OUTPUT_LIMIT`): the first
:data:`SPOOL_THRESHOLD` bytes in memory, the rest in an anonymous temporary file, so the
host memory a run takes does not depend on how much its guest writes. Bytes past the cap
are counted (``dropped``), not kept; the result and the command line say so.
"""
from __future__ import annotations

import sys
import tempfile

__all__ = ["OutputCapture", "DEFAULT_OUTPUT_LIMIT", "SPOOL_THRESHOLD"]

DEFAULT_OUTPUT_LIMIT = 16 << 20     # bytes of each stream a result keeps
SPOOL_THRESHOLD = 1 << 20           # bytes held in memory before spilling to a file


class OutputCapture:
    """The first `limit` bytes written, spooled to a temporary file past the threshold;
    `written` counts every byte, `dropped` those past the limit."""

    def __init__(self, limit: int = DEFAULT_OUTPUT_LIMIT, threshold: int = SPOOL_THRESHOLD):
        self.limit = int(limit)
        self._spool = tempfile.SpooledTemporaryFile(max_size=threshold)
        self.kept = 0
        self.written = 0

    @property
    def dropped(self) -> int:
        return self.written - self.kept

    def write(self, data) -> None:
        n = len(data)
        self.written += n
        room = self.limit - self.kept
        if room > 0:
            part = data if n <= room else memoryview(data)[:room]
            self._spool.write(part)
            self.kept += len(part)

    def getvalue(self) -> bytes:
        """The kept bytes (at most `limit`)."""
        spool = self._spool
        pos = spool.tell()
        spool.seek(0)
        data = spool.read(self.kept)
        spool.seek(pos)
        return data

    def restore(self, data: bytes, written: int | None = None) -> None:
        """Start over holding `data` (a checkpoint's saved output)."""
        self._spool.close()
        self._spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_THRESHOLD)
        self.kept = self.written = 0
        self.write(bytes(data))
        if written is not None and written > self.written:
            self.written = int(written)

    def close(self) -> None:
        self._spool.close()


def echo_to(stream_name: str, data) -> None:
    """Copy guest bytes to the host's sys.stdout or sys.stderr as they are written."""
    stream = sys.stdout if stream_name == "stdout" else sys.stderr
    raw = getattr(stream, "buffer", None)
    if raw is not None:
        stream.flush()
        raw.write(data)
        raw.flush()
    else:                       # e.g. a Jupyter stream: text only
        stream.write(bytes(data).decode("utf-8", "replace"))
        stream.flush()
