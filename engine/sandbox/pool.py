"""A small pool of pre-started evaluator processes, and one round trip to one of them.

The web and worker processes never run diagram code: they send it to an evaluator
(`engine.sandbox.evaluator`) and wait for the answer at most the wall limit. An evaluator that goes
over a limit (address space, CPU, wall time) or answers nonsense is killed and a fresh one is
started at once, so the next evaluation finds one ready. Each process that uses the pool has its
own (a pool is not shared across fork).

Settings (environment): KEYDESK_SANDBOX_PROCESSES (default 2), KEYDESK_SANDBOX_MEMORY_MB (address
space of one evaluator, default 512).
"""

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from engine.sandbox import evaluator, wire
from engine.sandbox.rules import TIME_LIMIT

_ROOT = Path(__file__).resolve().parents[2]
_STARTUP_SECONDS = 60  # an evaluator that is not ready by then is broken
_REPLY_SLACK = 1 << 20


class WorkerFailed(Exception):
    """An evaluator process died or broke the protocol (not a diagram's fault as far as we know)."""


class _Evaluator:
    """One evaluator process and its two pipes."""

    def __init__(self, memory_mb: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.sandbox.evaluator", str(memory_mb)], cwd=_ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"PATH": os.defpath, "LANG": "C.UTF-8"})  # no secrets or database URLs in its environment
        self.ready = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def round_trip(self, request: dict, wall_seconds: float, max_bytes: int) -> dict:
        if not self.ready:
            if self._receive(time.monotonic() + _STARTUP_SECONDS, 64) != evaluator.READY:
                raise WorkerFailed("the evaluator did not start")
            self.ready = True
        self.process.stdin.write(evaluator.frame(request))
        self.process.stdin.flush()
        return self._receive(time.monotonic() + wall_seconds, max_bytes)

    def _receive(self, deadline: float, max_bytes: int) -> dict:
        (length,) = evaluator.HEADER.unpack(self._read(evaluator.HEADER.size, deadline))
        if length > max_bytes:
            raise WorkerFailed(f"the evaluator answered {length:,} bytes")
        try:
            return json.loads(self._read(length, deadline))
        except (ValueError, RecursionError) as err:
            raise WorkerFailed(f"the evaluator answered unreadable data: {err}") from None

    def _read(self, size: int, deadline: float) -> bytes:
        chunks, fd = [], self.process.stdout.fileno()
        while size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(size, 1 << 20))
            if not chunk:
                raise WorkerFailed(self._death())
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _death(self) -> str:
        code = self.process.wait()
        return "cpu" if code == -signal.SIGXCPU else f"exit {code}"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()


class Pool:
    """Up to `size` evaluators, started ahead; a caller waits for a free one."""

    def __init__(self, size: int, memory_mb: int):
        self.memory_mb = memory_mb
        self.free = threading.Semaphore(size)
        self.lock = threading.Lock()
        self.idle = [_Evaluator(memory_mb) for _ in range(size)]

    def evaluate(self, request: dict, wall_seconds: float, max_chars: int) -> dict:
        """One request's answer; raises TimeoutError at the wall limit, WorkerFailed when the evaluator died."""
        with self.free:
            with self.lock:
                worker = self.idle.pop() if self.idle else _Evaluator(self.memory_mb)
            try:
                reply = worker.round_trip(request, wall_seconds, 4 * max_chars + _REPLY_SLACK)
            except BaseException:
                self._replace(worker)
                raise
            if reply.get("retire"):
                self._replace(worker)
            else:
                with self.lock:
                    self.idle.append(worker)
            return reply

    def _replace(self, worker: _Evaluator) -> None:
        worker.stop()
        with self.lock:
            self.idle.append(_Evaluator(self.memory_mb))

    def close(self) -> None:
        with self.lock:
            for worker in self.idle:
                worker.stop()
            self.idle.clear()


_pools: dict[int, Pool] = {}
_pools_lock = threading.Lock()


def shared() -> Pool:
    """This process's pool, started on first use."""
    with _pools_lock:
        pool = _pools.get(os.getpid())
        if pool is None:
            pool = _pools[os.getpid()] = Pool(int(os.environ.get("KEYDESK_SANDBOX_PROCESSES", "2")),
                                              int(os.environ.get("KEYDESK_SANDBOX_MEMORY_MB", "512")))
        return pool


def read_reply_data(reply_part):
    """A value of an evaluator's answer, read back into Python values; nonsense is the evaluator's failure."""
    try:
        return wire.read(reply_part)
    except (ValueError, TypeError, KeyError, RecursionError) as err:
        raise WorkerFailed(f"the evaluator answered unreadable data: {err}") from None


def send(request: dict, wall_seconds: float, max_chars: int) -> dict:
    """One request's answer from this process's pool; a limit the evaluator hit is a SandboxViolation."""
    try:
        return shared().evaluate(request, wall_seconds, max_chars)
    except TimeoutError:
        raise wire.violation(
            f"{TIME_LIMIT}: the evaluation ran longer than {wall_seconds:g} s and was stopped",
            f"超出时间限制：求值运行超过 {wall_seconds:g} 秒，已被终止") from None
    except WorkerFailed as err:
        if str(err) == "cpu":
            seconds = request["cpu_seconds"]
            raise wire.violation(f"CPU limit exceeded: the evaluation used more than {seconds:g} s of CPU and was "
                                 "stopped", f"超出 CPU 限制：求值占用 CPU 超过 {seconds:g} 秒，已被终止") from None
        raise wire.violation(f"the evaluation was stopped: its process ended ({err}), most likely over the "
                             "memory limit", f"求值被终止：其进程已结束（{err}），很可能超出内存限制") from None
