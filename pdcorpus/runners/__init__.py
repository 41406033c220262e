"""Runners: where a phase's tasks run. The build gives a runner the plan once, then each phase's unfinished
tasks in order, and takes their results; a runner knows nothing of what a task does.

A runner implements ``Runner``: the local runner (``runners/local.py``, worker processes of this machine)
is one implementation. A task runs with ``pdcorpus.tasks.execute(plan, phase, task, progress, strict)``, which
writes the task's outputs and its completion marker and returns its result: a runner calls it wherever its
workers are, given a plan they can all read (its work folder and output on a shared file system or object
store), and returns the results in task order. It stops at the first task that fails, naming it
(``TaskFailed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from pdcorpus.plan import Phase, Plan


@runtime_checkable
class Runner(Protocol):
    name: str  # recorded in the manifest
    workers: int

    def start(self, plan: "Plan") -> None:
        """Before the first phase: the plan every task of the build belongs to."""

    def run(self, phase: "Phase", tasks: list[Any], strict: bool = False) -> list[dict]:
        """Runs the tasks (any order, any placement); their results in task order."""

    def close(self) -> None:
        """After the last phase, or when the build stops."""


def make_runner(config: Any, workers: int | None = None, progress: bool = True) -> "Runner":
    """The runner a corpus file's ``runner:`` names (a ``config.RunnerConfig``); ``workers`` (``--workers``)
    overrides its ``workers``. Ray is imported only when its runner starts."""
    workers = workers or config.workers
    if config.name == "ray":
        from pdcorpus.runners.ray import RayRunner

        return RayRunner(config.address, workers, max_retries=config.max_retries, progress=progress,
                         num_cpus=config.num_cpus, memory=config.memory)
    from pdcorpus.runners.local import LocalRunner

    return LocalRunner(workers, progress=progress)


class TaskFailed(Exception):
    """A task raised; names the phase and the task (its input file, bucket or shard)."""

    def __init__(self, phase: "Phase", label: str, error: BaseException) -> None:
        self.phase, self.label, self.error = phase, label, error
        super().__init__(f"{phase.name}: {label}: {type(error).__name__}: {error}")


__all__ = ["Runner", "TaskFailed", "make_runner"]
