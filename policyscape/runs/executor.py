"""Where the chunks of an analysis are evaluated: in this process, a local process pool, or Ray.

``evaluate_points`` (``runs.store``) cuts an analysis into chunks of fixed size; an executor
evaluates the chunks and yields ``(chunk, values)`` in completion order, and the driver appends
each finished chunk to the point store (which orders rows by chunk on load). Three executors:

- :class:`SerialExecutor`: in this process, one chunk after the other (the default; what a
  local backend with one worker is);
- :class:`LocalExecutor`: a ``concurrent.futures`` process pool of ``workers`` processes
  started with ``spawn`` (JAX does not survive ``fork``);
- :class:`RayExecutor`: Ray tasks, on a running cluster (``address``) or on a Ray instance
  started here with ``num_cpus=workers`` (and shut down at the end); a chunk whose worker died
  is retried (``max_retries``).

A worker process rebuilds the objective from its ``spec``, an ``objectives.registry.ObjectiveSpec``
(env id, τ, c, sampling options), which ``make_objective`` attaches to every objective it returns;
objectives built otherwise have no spec and run in this process only.

**The same values whatever the executor and worker count.** A chunk is the same batch of θ
wherever it runs: exact objectives are evaluated on chunks padded to a fixed shape, and
sampled objectives seed episode k of every θ from the run seed and k alone (common random
numbers; without CRN from the row in its chunk, which does not move either). Workers compute
the same float64 operations as this process, so the values are bit-for-bit equal.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Self

import numpy as np

from policyscape.errors import InputError
from policyscape.objectives.base import Objective
from policyscape.objectives.registry import ObjectiveSpec

#: Backends of ``--backend``.
BACKENDS = ("local", "ray")

#: Start-up seconds of a backend in the dry-run estimate (measured on a 2-core machine: spawning
#: and importing policyscape in the workers; for Ray also ``ray.init`` and its worker pool).
STARTUP_SECONDS = {"serial": 0.0, "local": 3.0, "ray": 8.0}

#: Retries of a Ray chunk whose worker died (killed, out of memory, node lost).
RAY_MAX_RETRIES = 3

Task = tuple[int, np.ndarray]  # (chunk index, θ [C, n])
Values = dict[str, np.ndarray]  # field → [C]
EvaluateChunk = Callable[[np.ndarray], Values]


def spec_of(objective) -> ObjectiveSpec | None:
    """The spec ``make_objective`` attached to ``objective``, or None (then it runs in-process only)."""
    return objective.spec if isinstance(objective, Objective) else None


def _evaluate_task(evaluate: EvaluateChunk, task: Task) -> tuple[int, Values]:
    chunk, thetas = task
    return chunk, {k: np.asarray(v) for k, v in evaluate(thetas).items()}


class SerialExecutor:
    """Chunks evaluated in this process, in order (today's behaviour; any callable works)."""

    workers = 1
    backend = "serial"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map_chunks(self, evaluate: EvaluateChunk, tasks: Iterable[Task], retries: int = 0) -> Iterator[tuple[int, Values]]:
        for task in tasks:  # (retries: no worker to lose in this process)
            yield _evaluate_task(evaluate, task)


class PortableWork:
    """Work a worker process runs from its own (pickled) data, like an ``ObjectiveSpec``: subclasses define
    ``__call__(payload [C]) -> {field: array}`` (e.g. ``runs.sweep.TrainRuns``: train run ``payload[0]``)."""

    def __call__(self, payload: np.ndarray) -> Values:
        raise NotImplementedError


def _check_parallel(evaluate: EvaluateChunk, backend: str) -> None:
    if not isinstance(evaluate, (ObjectiveSpec, PortableWork)):
        raise InputError(
            f"the {backend} backend evaluates objectives rebuilt from an ObjectiveSpec (objectives made by "
            f"make_objective / objective_for); got {evaluate!r}: use workers=1 (the in-process path) for it"
        )


_HELD_SLOT: list[socket.socket] = []  # the slot of this worker process, held for its lifetime


def pin_worker(pool_id: str, workers: int) -> int | None:
    """Give this worker process its share of the machine's cores; returns its slot, or None.

    The first free slot ``i`` of ``0 … workers − 1`` of the pool ``pool_id`` (an abstract Unix
    socket name bound by this process: released when it dies, even by SIGKILL, so a replacement
    worker takes the slot over; nothing on disk) pins the process to the
    i-th of ``workers`` equal parts of the cores (one core, round robin, when there are more
    workers than cores). Multi-threaded code in the worker (MuJoCo's batched stepping uses as many
    threads as the process has cores) then uses its share instead of oversubscribing the machine.
    Results do not depend on it.
    """
    if _HELD_SLOT or not sys.platform.startswith("linux"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    if workers <= 1 or len(cores) <= 1:
        return None
    for slot in range(workers):
        claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            claim.bind(f"\0policyscape-{pool_id}-{slot}")
        except OSError:
            claim.close()
            continue
        _HELD_SLOT.append(claim)
        share = [cores[slot % len(cores)]] if workers > len(cores) else list(np.array_split(cores, workers)[slot])
        os.sched_setaffinity(0, [int(c) for c in share])
        return slot
    return None


def _init_local_worker(pool_id: str, workers: int, driver: int | None = None) -> None:
    """Workers leave Ctrl-C to the driver (which stops after the last finished chunk), exit when it dies,
    and take their share of the cores.

    ``driver`` is the driver's pid, passed from the driver: a worker whose driver was killed while it
    was still starting (importing) is already re-parented when this runs, so ``os.getppid()`` here
    would name init (or a subreaper) and the worker would outlive its driver.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    driver = os.getppid() if driver is None else driver
    _die_with_parent()
    if os.getppid() != driver:  # the driver died before the parent-death signal was armed
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(driver,), daemon=True).start()
    pin_worker(pool_id, workers)


def _die_with_parent() -> bool:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``).

    The signal fires when the parent *thread* that started this process exits; the pool's workers are
    started by the driver's main thread, which lives as long as the driver. Returns whether it was armed.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _exit_with_parent(parent: int, period: float = 0.5) -> None:
    """Exit this worker once its driver is gone (killed, even by SIGKILL: it is re-parented). A backstop to
    the parent-death signal, and the mechanism where there is none."""
    while os.getppid() == parent:
        time.sleep(period)
    os._exit(1)


class LocalExecutor:
    """A pool of ``workers`` spawned processes on this machine (module docstring)."""

    backend = "local"

    def __init__(self, workers: int) -> None:
        self.workers = check_workers(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._pool_id = uuid.uuid4().hex

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init_local_worker,
                                             initargs=(self._pool_id, self.workers, os.getpid()))
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map_chunks(self, evaluate: EvaluateChunk, tasks: Iterable[Task], retries: int = 0) -> Iterator[tuple[int, Values]]:
        """Evaluate ``tasks`` (chunk, θ [C, n]) → (chunk, {field: [C]}) in completion order.

        A worker that dies breaks the pool: with ``retries`` left, a new pool is started and every
        unfinished task submitted again (work that resumes from its own saved state, such as a training
        run, goes on from there); otherwise the run stops with a resume hint.
        """
        from concurrent.futures.process import BrokenProcessPool

        _check_parallel(evaluate, self.backend)
        pool = self._get_pool()
        pending: dict[Future, Task] = {}
        tasks = iter(tasks)
        try:
            while True:
                for task in tasks:  # keep two chunks per worker in flight
                    pending[pool.submit(_evaluate_task, evaluate, task)] = task
                    if len(pending) >= 2 * self.workers:
                        break
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                if not any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                    for future in done:
                        del pending[future]
                        yield future.result()
                    continue
                wait(pending)  # the pool is broken: every other future ends too, with its result or the error
                lost = []
                for future, task in list(pending.items()):
                    del pending[future]
                    if isinstance(future.exception(), BrokenProcessPool):
                        lost.append(task)
                    else:
                        yield future.result()
                if retries <= 0:
                    raise RuntimeError(
                        "a worker process of the local backend died (killed, or out of memory); every finished chunk "
                        "is saved: run the same command again to resume") from done.pop().exception()
                retries -= 1
                self.close()
                pool = self._get_pool()
                pending.update({pool.submit(_evaluate_task, evaluate, task): task for task in lost})
        finally:
            for future in pending:
                future.cancel()


def _ray_module():
    try:
        import ray
    except ImportError:
        raise InputError("the ray backend needs Ray, which is not installed: pip install -e '.[ray]'") from None
    return ray


def _ray_evaluate_task(evaluate: EvaluateChunk, task: Task, pool_id: str | None, workers: int) -> tuple[int, Values]:
    if pool_id is not None:
        pin_worker(pool_id, workers)
    return _evaluate_task(evaluate, task)


class RayExecutor:
    """Ray tasks, at most ``workers`` at a time (module docstring).

    ``address``: a running cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``); None:
    an already initialized Ray, else a new local instance with ``num_cpus=workers`` started here
    (``init_kwargs`` are passed to ``ray.init``) and shut down by :meth:`close`; the workers of a
    local instance started here take their share of the cores (:func:`pin_worker`).
    """

    backend = "ray"

    def __init__(self, workers: int, address: str | None = None, max_retries: int = RAY_MAX_RETRIES,
                 init_kwargs: dict | None = None) -> None:
        self.workers = check_workers(workers)
        self.address = address
        self.max_retries = int(max_retries)
        self.init_kwargs = dict(init_kwargs or {})
        self._ray = _ray_module()
        self._started = False
        self._remote = None
        self._pool_id = uuid.uuid4().hex
        self._pin = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        ray = self._ray
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False,
                      **self.init_kwargs}
            if self.address is None:
                kwargs.setdefault("num_cpus", self.workers)
            ray.init(address=self.address or "local", **kwargs)  # "local": a new instance, never another's
            self._started = True
            self._pin = self.address is None  # our own instance on this machine: share its cores out
        if self._remote is None:
            self._remote = ray.remote(num_cpus=1, max_retries=self.max_retries)(_ray_evaluate_task)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
            self._started = False
        self._remote = None

    def map_chunks(self, evaluate: EvaluateChunk, tasks: Iterable[Task], retries: int = 0) -> Iterator[tuple[int, Values]]:
        """Evaluate ``tasks`` (chunk, θ [C, n]) → (chunk, {field: [C]}) in completion order (a task whose
        worker died is retried ``max_retries`` times by Ray, whatever ``retries``)."""
        _check_parallel(evaluate, self.backend)
        self._start()
        ray = self._ray
        evaluate_ref = ray.put(evaluate)
        pending: list = []
        tasks = iter(tasks)
        try:
            while True:
                for task in tasks:  # ``workers`` chunks in flight: at most that many run at once
                    pending.append(self._remote.remote(evaluate_ref, task, self._pool_id if self._pin else None,
                                                        self.workers))
                    if len(pending) >= self.workers:
                        break
                if not pending:
                    return
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    try:
                        result = ray.get(ref)
                    except ray.exceptions.RayTaskError as e:  # the evaluation itself raised: that error
                        raise e.as_instanceof_cause() from None
                    except ray.exceptions.RayError as e:
                        raise RuntimeError(
                            f"a Ray task failed after {self.max_retries} retries ({type(e).__name__}); every "
                            "finished chunk is saved: run the same command again to resume") from e
                    yield result
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)


Executor = SerialExecutor | LocalExecutor | RayExecutor


def default_workers() -> int:
    """The CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def check_workers(workers) -> int:
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"workers must be an integer >= 1, got {workers!r}")
    return int(workers)


def make_executor(backend: str = "local", workers: int | None = None, address: str | None = None) -> Executor:
    """The executor of ``--backend``/``--workers``/``--address``.

    ``local``: workers default to the CPUs of this machine; one worker is the in-process
    :class:`SerialExecutor`. ``ray``: workers default to the CPUs of this machine too (of a cluster
    at ``address``: pass how many chunks should run at once).
    """
    if backend not in BACKENDS:
        raise InputError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    workers = default_workers() if workers is None else check_workers(workers)
    if backend == "local":
        if address is not None:
            raise InputError(f"--address applies to the ray backend, got address {address!r} with backend 'local'")
        return SerialExecutor() if workers == 1 else LocalExecutor(workers)
    return RayExecutor(workers, address=address)


def chunk_evaluator(objective, executor: Executor | None) -> EvaluateChunk:
    """What the executor evaluates chunks with: the objective itself in-process, else its spec."""
    if executor is None or isinstance(executor, SerialExecutor):
        return objective.evaluate
    spec = spec_of(objective)
    if spec is None:
        raise InputError(f"the objective {objective.name if isinstance(objective, Objective) else objective!r} was "
                         "not made by make_objective "
                         f"(it has no ObjectiveSpec), so the {executor.backend} backend cannot rebuild it in a worker; "
                         "use --workers 1 (the in-process path)")
    return spec


def work_split(num_points: int, chunk_size: int, workers: int) -> dict:
    """How ``num_points`` points are cut into chunks and shared by ``workers`` workers."""
    chunks = math.ceil(num_points / chunk_size)
    return {"points": num_points, "chunk_size": chunk_size, "chunks": chunks, "workers": workers,
            "chunks_per_worker": math.ceil(chunks / workers)}


def estimate_wall_seconds(chunks: int, seconds_per_chunk: float, workers: int, backend: str) -> float:
    """Model of the wall time: ``ceil(chunks / workers) × seconds per chunk + STARTUP_SECONDS[backend]``.

    (The serial path when ``workers == 1`` on the local backend.) It ignores load imbalance of
    chunks of different cost and the cores a worker's own threads may use.
    """
    kind = "serial" if backend == "local" and workers == 1 else backend
    return math.ceil(chunks / workers) * seconds_per_chunk + STARTUP_SECONDS[kind]


def worker_counts(up_to: int) -> list[int]:
    """1, 2, 4, 8, … up to ``up_to`` (and ``up_to`` itself)."""
    counts = [1]
    while counts[-1] * 2 <= up_to:
        counts.append(counts[-1] * 2)
    return counts if counts[-1] == up_to else [*counts, up_to]
