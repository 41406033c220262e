"""The local runner: a phase's tasks on worker processes of this machine.

One implementation of ``pdcorpus.runners.Runner``. It knows nothing of pipelines: it runs ``tasks.execute`` for each task it is
given, shows a progress bar per phase (records and records/s) when stderr is a
terminal, or else writes one line per phase when it ends (a log file gets no
carriage-return updates), and stops the phase at the first failing task.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any

from tqdm import tqdm

from pdcorpus.plan import Phase, Plan
from pdcorpus.runners import TaskFailed
from pdcorpus.tasks import execute


# Set once per worker process by the pool initializer: the plan and the progress channel.
_worker: dict[str, Any] = {}


def _die_with_parent() -> None:
    """A worker must not outlive a killed build (it would race the resumed one)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _init_worker(plan: Plan, progress_queue: Any) -> None:
    _die_with_parent()
    _worker["plan"] = plan
    _worker["queue"] = progress_queue


def _run_in_worker(phase: Phase, task: Any, strict: bool) -> dict:
    q = _worker["queue"]
    return execute(_worker["plan"], phase, task, progress=q.put, strict=strict)


class PhaseLine:
    """Progress for a log: counts quietly, then one line when the phase ends (the part of tqdm's interface used here)."""

    def __init__(self, phase: Phase, tasks: int, file: Any) -> None:
        self.phase, self.tasks, self.file = phase, tasks, file
        self.n = 0
        self.failed = False
        self.started = time.perf_counter()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        seconds = time.perf_counter() - self.started
        if self.failed:
            print(f"phase {self.phase.name}: stopped after {seconds:.1f} s", file=self.file, flush=True)
            return
        rate = f" ({self.n / seconds:,.0f} rec/s)" if seconds > 0 else ""
        print(f"phase {self.phase.name}: {self.tasks:,} task{'s' if self.tasks != 1 else ''}, {self.n:,} records "
              f"in {seconds:.1f} s{rate}", file=self.file, flush=True)


def _is_terminal(stream: Any) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed
        return False


class LocalRunner:
    """Runs tasks in ``workers`` processes (1: in this process)."""

    name = "local"

    def __init__(self, workers: int | None = None, progress: bool = True) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.progress = progress
        self._pool: ProcessPoolExecutor | None = None
        self._queue: Any = None

    def start(self, plan: Plan) -> None:
        if self.workers > 1:
            ctx = mp.get_context("spawn")  # fork is unsafe with Arrow's threads
            self._queue = ctx.Queue()
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_init_worker,
                                             initargs=(plan, self._queue))
        self.plan = plan

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "LocalRunner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def run(self, phase: Phase, tasks: list[Any], strict: bool = False) -> list[dict]:
        """Runs the tasks; results in task order."""
        bar: Any
        if self.progress and not _is_terminal(sys.stderr):
            bar = PhaseLine(phase, len(tasks), sys.stderr)
        else:
            bar = tqdm(desc=f"{phase.name:<16}", unit=" rec", unit_scale=True, disable=not self.progress,
                       dynamic_ncols=True, leave=True, file=sys.stderr)
        bar.set_postfix_str(f"tasks 0/{len(tasks)}")
        results: dict[int, dict] = {}
        try:
            # a single task too goes to a worker when there are workers: they have imported and warmed up
            # what tasks use (pyarrow's pandas shim, stage tables), the driver has not
            if self._pool is None or not tasks:
                for task in tasks:
                    try:
                        results[task.index] = execute(self.plan, phase, task, progress=bar.update, strict=strict)
                    except Exception as exc:
                        raise TaskFailed(phase, task.label, exc) from exc
                    bar.set_postfix_str(f"tasks {len(results)}/{len(tasks)}")
            else:
                self._run_pool(phase, tasks, strict, bar, results)
        except BaseException:
            if isinstance(bar, PhaseLine):
                bar.failed = True
            raise
        finally:
            bar.close()
        return [results[t.index] for t in tasks]

    def _run_pool(self, phase: Phase, tasks: list[Any], strict: bool, bar: Any, results: dict) -> None:
        assert self._pool is not None
        futures: dict[Future, Any] = {self._pool.submit(_run_in_worker, phase, t, strict): t for t in tasks}
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                self._drain(bar)
                for future in done:
                    task = futures[future]
                    try:
                        results[task.index] = future.result()
                    except Exception as exc:
                        raise TaskFailed(phase, task.label, exc) from exc
                bar.set_postfix_str(f"tasks {len(results)}/{len(tasks)}")
            self._drain(bar)
        except BaseException:
            for future in pending:
                future.cancel()
            raise

    def _drain(self, bar: Any) -> None:
        n = 0
        while True:
            try:
                n += self._queue.get_nowait()
            except queue_mod.Empty:
                break
        if n:
            bar.update(n)
