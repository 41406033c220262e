"""The Ray runner: a phase's tasks as Ray tasks on a cluster (``pip install 'pdcorpus[ray]'``).

One implementation of ``pdcorpus.runners.Runner``, like the local runner: the planner, the stages and the
exchange are the same code; each task is one call of ``pdcorpus.tasks.execute`` in a Ray worker, which
reads its inputs and writes its outputs and completion marker itself (inputs, work folder and output must be
where every node reaches them: an object store such as ``s3://``, or a shared file system). The driver
sends the plan once per build (``ray.put``; a worker process deserializes it once and keeps it) and gets
back each task's result, which is small (counts and an exchange index, never records).

Failures. A worker process or node that dies is retried by Ray, ``max_retries`` times (Ray's own
``max_retries``: the task runs again from the start, and since a task writes whole files and its marker
last, a half-done attempt leaves nothing that counts). An exception raised by a task is not retried: it
comes from the data or the corpus file (a malformed input in ``--strict``, a changed input, a missing
model) and would fail again the same way; transient network errors are already retried with backoff
inside the storage clients (botocore, s3fs) and pdcorpus's HTTP client. The phase stops at the first
failed task with ``TaskFailed`` naming the phase and the task, as locally, and the tasks still running are
cancelled. A rerun skips the tasks whose markers exist (the build reads them from the work folder, on S3
as anywhere).

Ray is imported when a build starts with this runner, never by ``import pdcorpus``.
"""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm

from pdcorpus.plan import Phase, Plan
from pdcorpus.runners import TaskFailed
from pdcorpus.runners.local import PhaseLine, _is_terminal

INSTALL = "pip install 'pdcorpus[ray]'"

# per worker process: the plans already deserialized, by object id (one build's plan is fetched once)
_plans: dict[str, Plan] = {}


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError(f"the ray runner needs Ray, which is not installed: {INSTALL}") from exc
    return ray


def _run_task(plan_box: list, phase: Phase, task: Any, strict: bool) -> tuple[dict, int]:
    """In a Ray worker: one task, and the records it went through (for the driver's progress)."""
    from pdcorpus.tasks import execute

    ray = _ray()
    ref = plan_box[0]  # in a list, so that Ray passes the reference and this process fetches it once
    key = ref.hex()
    plan = _plans.get(key)
    if plan is None:
        _plans.clear()  # another build's plan: not needed any more
        plan = _plans[key] = ray.get(ref)
    counted = [0]

    def progress(n: int) -> None:
        counted[0] += n

    return execute(plan, phase, task, progress=progress, strict=strict), counted[0]


class RayRunner:
    """Runs each task as a Ray task (``num_cpus`` each, optionally a ``memory`` hint in bytes) on the cluster
    at ``address`` (``None``: the one ``RAY_ADDRESS`` names, or a new local one; ``"auto"``: the one running
    on this node; ``"ray://HOST:10001"``: through Ray Client). A Ray already initialized in this process is
    used as it is. ``workers`` caps the tasks in flight (default: the cluster's CPUs / ``num_cpus``)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None, max_retries: int = 2,
                 progress: bool = True, num_cpus: float = 1, memory: int | None = None,
                 runtime_env: dict | None = None, init_options: dict | None = None) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.address = address
        self.max_workers = workers
        self.workers = workers or 0  # known once connected
        self.max_retries = max_retries
        self.progress = progress
        self.num_cpus = num_cpus
        self.memory = memory
        self.runtime_env = runtime_env
        self.init_options = dict(init_options or {})
        self._owns = False
        self._plan_ref: Any = None
        self._remote: Any = None

    def start(self, plan: Plan) -> None:
        ray = _ray()
        if not ray.is_initialized():
            options = {"address": self.address, "log_to_driver": True, **self.init_options}
            if self.runtime_env is not None:
                options["runtime_env"] = self.runtime_env
            try:
                ray.init(**options)
            except ConnectionError as exc:
                raise RuntimeError(f"cannot reach the Ray cluster at {self.address or 'RAY_ADDRESS'}: {exc}; "
                                   "start it (ray start --head) or give its address (--address)") from exc
            self._owns = True
        cpus = int(ray.cluster_resources().get("CPU", 1) // max(self.num_cpus, 0.001)) or 1
        self.workers = min(self.max_workers, cpus) if self.max_workers else cpus
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "max_retries": self.max_retries,
                                   "retry_exceptions": False}
        if self.memory:
            options["memory"] = self.memory
        self._remote = ray.remote(_run_task).options(**options)
        self._plan_ref = ray.put(plan)

    def close(self) -> None:
        self._plan_ref = None
        if self._owns:
            ray = _ray()
            ray.shutdown()
            self._owns = False

    def __enter__(self) -> "RayRunner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _bar(self, phase: Phase, tasks: int) -> Any:
        if self.progress and not _is_terminal(sys.stderr):
            return PhaseLine(phase, tasks, sys.stderr)
        return tqdm(desc=f"{phase.name:<16}", unit=" rec", unit_scale=True, disable=not self.progress,
                    dynamic_ncols=True, leave=True, file=sys.stderr)

    def run(self, phase: Phase, tasks: list[Any], strict: bool = False) -> list[dict]:
        """Runs the tasks on the cluster, at most ``workers`` in flight; results in task order."""
        assert self._remote is not None, "RayRunner.run before start"
        ray = _ray()
        bar = self._bar(phase, len(tasks))
        bar.set_postfix_str(f"tasks 0/{len(tasks)}")
        results: dict[int, dict] = {}
        waiting = list(reversed(tasks))  # popped from the end: submitted in task order
        running: dict[Any, Any] = {}
        try:
            while waiting or running:
                while waiting and len(running) < self.workers:
                    task = waiting.pop()
                    running[self._remote.remote([self._plan_ref], phase, task, strict)] = task
                done, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
                for ref in done:
                    task = running.pop(ref)
                    try:
                        result, records = ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - any failure of a task stops the phase, naming it
                        raise TaskFailed(phase, task.label, _cause(ray, exc)) from exc
                    results[task.index] = result
                    bar.update(records)
                bar.set_postfix_str(f"tasks {len(results)}/{len(tasks)}")
        except BaseException:
            if isinstance(bar, PhaseLine):
                bar.failed = True
            for ref in running:  # the phase stops: nothing of it runs on
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - finished meanwhile
                    pass
            raise
        finally:
            bar.close()
        return [results[t.index] for t in tasks]


def _cause(ray: Any, exc: BaseException) -> BaseException:
    """The task's own exception (Ray wraps it in a RayTaskError that carries it); a worker that died
    beyond its retries stays Ray's error, which says so."""
    if isinstance(exc, ray.exceptions.RayTaskError) and isinstance(getattr(exc, "cause", None), BaseException):
        return exc.cause
    return exc


__all__ = ["RayRunner"]
