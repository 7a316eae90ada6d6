"""One writer at a time: an exclusive, non-blocking ``flock`` on ``<store>/.lock``.

The lock is released by the kernel when the process dies, so a crashed ingest never leaves the
store locked. The file itself stays (it is empty) so that a failed ingest changes no file.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ledgerhound.errors import StoreError

LOCK_NAME = ".lock"


class WriterLock:
    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot write store at {self.path.parent}: {exc.strerror}", path=str(self.path)
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"store {self.path.parent} is locked by another writer (ingest in progress)",
                path=str(self.path),
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
