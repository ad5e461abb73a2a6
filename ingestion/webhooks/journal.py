"""Durable landing of webhook deliveries: appended to a segment file and fsynced before the sender is answered.

Deliveries of a source go to ``landing/<source>/``: the open segment ``webhooks-<time>-<pid>.jsonl.tmp`` (landing
ignores ``.tmp`` files) is renamed to ``.jsonl`` once it is a few seconds old, and so becomes ready for ingestion.
Concurrent deliveries share one write and one fsync (group commit), so durability costs one disk flush per batch,
not per request. After a crash, ``recover`` closes what the dead process left: its complete lines (every
acknowledged delivery) are kept, a torn last line (never acknowledged) is cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opslake.settings import Settings

SEGMENT_SUFFIX = ".jsonl"
OPEN_SUFFIX = ".jsonl.tmp"
SEGMENT_SECONDS = 5.0  # an open segment is closed (ready for ingestion) after this long
SEGMENT_BYTES = 64 * 1024 * 1024
RECEIVED_AT = "received_at"  # the landed wrapper's key for when the receiver took the delivery
LOCK = "webhooks"  # locks/webhooks.lock: held by the receiver while it runs
CLOSE, STOP = "close", "stop"  # what the writer is asked besides writing lines


class ReceiverRunning(RuntimeError):
    """A receiver already holds this home's landing segments."""


@contextmanager
def receiver_lock(settings: Settings) -> Iterator[None]:
    """Hold the receiver's lock (one receiver per home: each closes the segments a crashed one left); the lock
    file names the holder's pid, which an erasure signals to close the open segments."""
    fd = _try_lock(settings)
    if fd is None:
        raise ReceiverRunning(f"a webhook receiver is running on this home ({settings.home})")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


@contextmanager
def segments_at_rest(settings: Settings, timeout: float = 10.0) -> Iterator[bool]:
    """For a rewrite of landing files (an erasure): no receiver appends to a file being rewritten.

    With no receiver running, its lock is held meanwhile (none starts) and open segments are rewritable: this
    yields True. With one running, it is asked (SIGHUP) to close its open segments, they are waited for, and this
    yields False: the segments open then hold deliveries that arrived after the request, and are the receiver's.
    """
    fd = _try_lock(settings)
    if fd is not None:
        try:
            yield True
        finally:
            os.close(fd)
        return
    open_now = set(settings.landing.glob(f"*/*{OPEN_SUFFIX}"))
    with contextlib.suppress(ValueError, ProcessLookupError, PermissionError):
        os.kill(int((settings.locks / f"{LOCK}.lock").read_text()), signal.SIGHUP)
    deadline = time.monotonic() + timeout
    while any(p.exists() for p in open_now) and time.monotonic() < deadline:
        time.sleep(0.05)
    yield False


def _try_lock(settings: Settings) -> int | None:
    """The lock file's descriptor, locked, or None when another process holds it (its contents kept)."""
    settings.locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.locks / f"{LOCK}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def recover(folder: Path) -> list[Path]:
    """Close the open segments a stopped receiver left: keep whole lines, cut a torn last one."""
    closed = []
    for path in sorted(folder.glob(f"*{OPEN_SUFFIX}")):
        data = path.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        if whole:
            with open(path, "r+b") as f:
                f.truncate(len(whole))
                os.fsync(f.fileno())
            target = path.with_name(path.name.removesuffix(OPEN_SUFFIX) + SEGMENT_SUFFIX)
            os.replace(path, target)
            closed.append(target)
        else:
            path.unlink()
    _sync_folder(folder)
    return closed


class Journal:
    """One source's segments; ``append`` returns once the line is on disk."""

    def __init__(self, folder: Path, segment_seconds: float = SEGMENT_SECONDS) -> None:
        self.folder = folder
        self.segment_seconds = segment_seconds
        self._queue: asyncio.Queue[tuple[bytes, asyncio.Future] | str] = asyncio.Queue()
        self._fd: int | None = None
        self._path: Path | None = None
        self._opened = 0.0
        self._size = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        recover(self.folder)
        self._task = asyncio.get_running_loop().create_task(self._write_batches())

    async def stop(self) -> None:
        """Write what is queued, close the segment (it becomes ready for ingestion) and end the writer."""
        if self._task is not None:
            await self._queue.put(STOP)
            await self._task

    def close_segment(self) -> None:
        """Close the open segment once what is queued is written (an erasure is waiting to rewrite it)."""
        self._queue.put_nowait(CLOSE)

    async def append(self, line: bytes) -> None:
        """Write ``line`` (ending with a newline) durably; raises OSError when it could not be."""
        done = asyncio.get_running_loop().create_future()
        await self._queue.put((line, done))
        await done

    async def _write_batches(self) -> None:
        while True:
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=self.segment_seconds / 2)
            except TimeoutError:
                await asyncio.to_thread(self._close_if_due)
                continue
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            lines = [item for item in batch if not isinstance(item, str)]
            try:
                await asyncio.to_thread(self._write, b"".join(line for line, _ in lines))
                outcome: OSError | None = None
            except OSError as failed:
                outcome = failed
            for _, done in lines:
                if done.done():  # its request was cancelled meanwhile
                    continue
                if outcome is None:
                    done.set_result(None)
                else:
                    done.set_exception(outcome)
            if CLOSE in batch or STOP in batch:
                await asyncio.to_thread(self._close_segment)
            if STOP in batch:
                return

    def _write(self, data: bytes) -> None:
        self._close_if_due()
        if not data:
            return
        if self._fd is None:
            self._open_segment()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)
        self._size += len(data)

    def _open_segment(self) -> None:
        now = dt.datetime.now(dt.UTC)
        self._path = self.folder / f"webhooks-{now:%Y%m%dT%H%M%S%f}-{os.getpid()}{OPEN_SUFFIX}"
        self._fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        _sync_folder(self.folder)  # the new name itself survives a crash
        self._opened, self._size = time.monotonic(), 0

    def _close_if_due(self) -> None:
        if self._fd is not None and (
            time.monotonic() - self._opened >= self.segment_seconds or self._size >= SEGMENT_BYTES
        ):
            self._close_segment()

    def _close_segment(self) -> None:
        if self._fd is None or self._path is None:
            return
        os.fsync(self._fd)
        os.close(self._fd)
        os.replace(
            self._path, self._path.with_name(self._path.name.removesuffix(OPEN_SUFFIX) + SEGMENT_SUFFIX)
        )
        _sync_folder(self.folder)
        self._fd = self._path = None


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
