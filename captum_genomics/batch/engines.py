"""Engines of a batch run: they hand regions to workers and report each region's entry.

Both call ``on_result(entry)`` in the calling process, once per region, in the order regions
finish; the manifest and the merged outputs are written there, never by two processes at once.
A worker that dies (killed, out of memory) is replaced and its region run again, up to
``retries`` times; regions still unfinished then are reported failed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context

from captum_genomics.batch.methods import worker_class
from captum_genomics.batch.plan import RegionTask, region_key
from captum_genomics.batch.worker import BatchWorker
from captum_genomics.cli._common import UsageError

#: Times a region whose worker died is run again.
RETRIES = 2

OnResult = Callable[[dict], None]


def died(task: RegionTask, retries: int) -> dict:
    """The manifest entry of a region whose worker died ``retries + 1`` times."""
    return {"id": task.region_id, "key": region_key(task.region), "index": task.index,
            "seed": task.seed, "status": "failed", "files": {}, "rows": [],
            "error": f"its worker process died {retries + 1} time(s) (killed, or out of memory)"}


def run_local(tasks: list[RegionTask], options: dict, output_dir: str, workers: int,
              on_result: OnResult, retries: int = RETRIES) -> None:
    """Explain ``tasks`` in this process (``workers == 1``) or in a pool of ``workers``
    processes (started with ``spawn``), each loading the model once.

    Parameters
    ----------
    tasks : list of RegionTask
        The regions to explain.
    options, output_dir
        As :class:`~captum_genomics.batch.worker.BatchWorker` takes them (the worker class
        is the options' one, :func:`~captum_genomics.batch.methods.worker_class`).
    workers : int
        Processes, >= 1.
    on_result : callable
        Called with each region's manifest entry.
    retries : int, default :data:`RETRIES`
        Times the pool is restarted after a worker died, running the unfinished regions again.
    """
    if workers == 1:
        worker = worker_class(options)(options, output_dir)
        for task in tasks:
            on_result(worker.explain(task))
        return
    remaining = {task.region_id: task for task in tasks}
    for _ in range(retries + 1):
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                                 initializer=_start_worker,
                                 initargs=(options, output_dir)) as pool:
            futures = {pool.submit(_explain, task): task for task in remaining.values()}
            try:
                while futures:
                    finished, _ = wait(futures, return_when=FIRST_COMPLETED)
                    for future in finished:
                        task = futures.pop(future)
                        on_result(future.result())
                        del remaining[task.region_id]
            except BrokenProcessPool:
                continue
        return
    for task in remaining.values():
        on_result(died(task, retries))


_WORKER: BatchWorker | None = None  # a pool process's worker


def _start_worker(options: dict, output_dir: str) -> None:
    global _WORKER
    _WORKER = worker_class(options)(options, output_dir)


def _explain(task: RegionTask) -> dict:
    return _WORKER.explain(task)


def run_ray(tasks: list[RegionTask], options: dict, output_dir: str, workers: int,
            on_result: OnResult, address: str | None = None, retries: int = RETRIES) -> None:
    """Explain ``tasks`` on ``workers`` Ray actors, each loading the model once.

    Uses the Ray instance already initialised in this process if there is one; else connects
    to ``address`` (an existing cluster), or starts a local Ray with ``workers`` CPUs (shut
    down at the end). With a CUDA ``--device`` each actor takes one GPU, or an equal share when
    there are fewer GPUs than workers (so that every actor starts).

    Parameters
    ----------
    tasks, options, output_dir, workers, on_result
        As :func:`run_local`.
    address : str, optional
        ``--address`` of a running Ray cluster (e.g. ``ray://head:10001`` or ``auto``).
    retries : int, default :data:`RETRIES`
        Restarts of a dead actor, and retries of the region it was running.

    Raises
    ------
    UsageError
        If Ray is not installed, or a CUDA device is asked of a cluster without GPUs.
    """
    try:
        import ray
    except ImportError:
        raise UsageError("--engine ray needs Ray: pip install 'captum-genomics[ray]', or use "
                         "--engine local") from None
    started = not ray.is_initialized()
    if started and address:
        ray.init(address=address, log_to_driver=False)
    elif started:  # the workers import what this process can (tests, module:function models)
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(sys.path)}})
    actors = []
    try:
        gpus = 0.0
        if str(options["device"]).startswith("cuda"):  # actors share the GPUs, one at most each
            gpus = min(1.0, ray.cluster_resources().get("GPU", 0) / workers)
            if not gpus:
                raise UsageError("--device cuda: the Ray cluster has no GPU; use --device cpu")
        actor_class = ray.remote(num_cpus=1, num_gpus=gpus, max_restarts=retries,
                                 max_task_retries=retries)(
                                     worker_class(options))
        actors = [actor_class.remote(options, output_dir) for _ in range(workers)]
        idle, running, queue = list(actors), {}, list(reversed(tasks))
        while queue or running:
            while idle and queue:
                actor, task = idle.pop(), queue.pop()
                running[actor.explain.remote(task)] = (actor, task)
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor, task = running.pop(ref)
            try:
                entry = ray.get(ref)
            except ray.exceptions.RayError:
                entry = died(task, retries)
            on_result(entry)
            idle.append(actor)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()
