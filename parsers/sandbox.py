"""Run parser calls in child processes with memory and time limits.

Some parsing libraries do not fail politely on bad files: they abort the process (Rust
allocation failure), raise BaseException subclasses, or run for minutes. ``Sandbox.run_many``
runs each call in a worker process; a call that raises, dies or runs too long becomes a
``SandboxFailure`` and the other calls are unaffected.

Calls are fed to the pool at most ``workers`` at a time, so each call starts as soon as it is
submitted and its deadline can be measured. When a worker dies, ProcessPoolExecutor fails
every call in flight; those calls are re-run one per fresh worker, so only the culprit fails.
Callables must be importable module-level functions (they are pickled by name).
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable

from parsers import ParserError

from . import memwatch

LIMIT_REASON = "文件解析时超出内存或时间限制，文件可能已损坏或过大"
BUDGET_REASON = "文件解析所需内存超过限额（{mb} MB），未能读取；文件可能过大或已损坏，请拆分或另存后重新发送"
_SAMPLE_EVERY = 0.05  # seconds between measurements of the process tree's memory
_MARGIN = 0.9  # act at 90 % of the budget: a parser can allocate a lot between two measurements
_MAX_TASKS_PER_CHILD = 100  # recycle workers now and then: parsers may leak


@dataclass
class SandboxFailure:
    reason: str


class SandboxUnavailable(ParserError):
    """The machine, not a file: no worker process can be started (fork fails, out of memory or
    processes) or even a trivial call dies. The caller keeps its messages for a later cycle rather
    than blaming each of them."""


class Sandbox:
    def __init__(self, workers: int = 2, mem_limit_mb: int = 1536, timeout_s: float = 120,
                 budget_mb: int | None = None):
        self.workers = workers
        self.mem_limit_mb = mem_limit_mb
        self.timeout_s = timeout_s
        # resident memory of this process and all its parser processes together; when the sum passes it,
        # the largest worker is killed and its calls re-run one per worker, so a file that needs more fails alone
        self.budget_mb = budget_mb
        self.peak_tree_bytes = 0  # the highest sum measured (for benchmarks and logs)
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def run_many(self, calls: list[tuple[Callable, tuple]]) -> list[Any | SandboxFailure]:
        if self.workers <= 0:
            return [_unwrap(_invoke(fn, args)) for fn, args in calls]
        results: list[Any] = [None] * len(calls)
        collateral: list[int] = []
        pending = list(range(len(calls)))
        running: dict[cf.Future, tuple[int, float]] = {}  # future -> (index, deadline)
        _preload({getattr(fn, "__module__", "") for fn, _ in calls})
        while pending or running:
            pool = self._get_pool()
            while pending and len(running) < self.workers:
                fn, args = calls[pending[0]]
                try:
                    fut = pool.submit(_invoke, fn, args)
                except BrokenProcessPool:  # a worker died while idle: start afresh
                    self._discard_pool()
                    pool = self._get_pool()
                    continue
                except OSError as exc:  # fork/spawn failed: EAGAIN, ENOMEM, EMFILE
                    self._discard_pool()
                    raise SandboxUnavailable(f"cannot start parser processes: {type(exc).__name__}: {exc}") from None
                running[fut] = (pending.pop(0), time.monotonic() + self.timeout_s)
            wait_for = max(0.0, min(d for _, d in running.values()) - time.monotonic())
            done, over = self._wait(running, wait_for, pool)
            broken = over
            for fut in done:
                i, _ = running.pop(fut)
                try:
                    results[i] = _unwrap(fut.result())
                except BrokenProcessPool:
                    collateral.append(i)  # the culprit is among these; sorted out below
                    broken = True
                except KeyboardInterrupt:
                    raise
                except BaseException as e:  # e.g. unpicklable result, SystemExit in the worker
                    results[i] = SandboxFailure(f"文件解析出错（{type(e).__name__}）")
            now = time.monotonic()
            late = [f for f, (_, d) in running.items() if d <= now]
            if late:
                for fut in late:
                    results[running.pop(fut)[0]] = SandboxFailure(LIMIT_REASON)
                broken = True
            if broken:
                # Everything still in flight shares the doomed pool: re-run it in isolation.
                collateral += [i for i, _ in running.values()]
                running.clear()
                self._discard_pool()
        for i in collateral:
            results[i] = self._run_isolated(*calls[i])
            if isinstance(results[i], SandboxFailure) and results[i].reason == LIMIT_REASON:
                self._check_health()
        return results

    def _wait(self, futures, timeout: float, pool) -> tuple[set, bool]:
        """Wait for the first of ``futures`` (at most ``timeout`` s), measuring the tree's memory meanwhile.
        Returns (done, True if a worker was killed for going over the budget)."""
        if not self.budget_mb:
            return cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)[0], False
        end = time.monotonic() + timeout
        while True:
            done, _ = cf.wait(futures, timeout=max(0.0, min(_SAMPLE_EVERY, end - time.monotonic())),
                              return_when=cf.FIRST_COMPLETED)
            if done or time.monotonic() >= end:
                return done, False
            if self._enforce_budget(pool):
                return set(), True

    def _enforce_budget(self, pool) -> bool:
        """Kill the largest parser worker (with what it started) if the tree is over budget."""
        me = os.getpid()
        procs = memwatch.tree(me)
        if not procs or not self.budget_mb:
            return False
        workers = [p.pid for p in (getattr(pool, "_processes", None) or {}).values() if p.pid in procs]
        # this process and its parser workers with what they started; not other children of the process
        # (a browser a test drives, a console helper): they are not the parsers' to pay for
        total = procs[me][1] if me in procs else 0
        total += sum(memwatch.subtree_rss(procs, pid) for pid in workers)
        self.peak_tree_bytes = max(self.peak_tree_bytes, total)
        if total <= self.budget_mb * 2**20 * _MARGIN or not workers:
            return False
        victim = max(workers, key=lambda pid: memwatch.subtree_rss(procs, pid))
        for pid in [*memwatch.descendants(procs, victim), victim]:
            try:
                os.kill(pid, signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
            except OSError:
                pass
        return True

    def _check_health(self) -> None:
        """A call died in a worker of its own: the file's fault, unless a trivial call dies too."""
        try:
            pool = self._new_pool(1)
        except Exception as exc:
            raise SandboxUnavailable(f"cannot start a parser process: {type(exc).__name__}: {exc}") from None
        try:
            ok = pool.submit(_probe).result(timeout=max(10.0, min(60.0, self.timeout_s)))
        except Exception as exc:
            raise SandboxUnavailable(f"parser processes die even on a trivial call: {type(exc).__name__}") from None
        finally:
            _kill_pool(pool)
        if ok != "ok":
            raise SandboxUnavailable("parser processes do not answer")

    def _run_isolated(self, fn: Callable, args: tuple) -> Any:
        try:
            pool = self._new_pool(1)
        except (OSError, RuntimeError) as exc:
            raise SandboxUnavailable(f"cannot start a parser process: {type(exc).__name__}: {exc}") from None
        try:
            fut = pool.submit(_invoke, fn, args)
            done, over = self._wait({fut}, self.timeout_s, pool)
            if over:
                return SandboxFailure(BUDGET_REASON.format(mb=self.budget_mb))
            if not done:
                return SandboxFailure(LIMIT_REASON)
            try:
                return _unwrap(fut.result())
            except BrokenProcessPool:
                return SandboxFailure(LIMIT_REASON)
            except KeyboardInterrupt:
                raise
            except BaseException as e:
                return SandboxFailure(f"文件解析出错（{type(e).__name__}）")
        finally:
            _kill_pool(pool)

    def _get_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            try:
                self._pool = self._new_pool(self.workers)
            except (OSError, RuntimeError) as exc:
                raise SandboxUnavailable(f"cannot start parser processes: {type(exc).__name__}: {exc}") from None
        return self._pool

    def _discard_pool(self) -> None:
        if self._pool is not None:
            _kill_pool(self._pool)
            self._pool = None

    def _new_pool(self, workers: int) -> cf.ProcessPoolExecutor:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(method),
            initializer=_init_worker, initargs=(self.mem_limit_mb, os.getpid()),
            max_tasks_per_child=_MAX_TASKS_PER_CHILD)


def _preload(modules: set[str]) -> None:
    """Have the fork server import the callables' modules once, so that fresh workers (after a
    crash, or for an isolated re-run) start in milliseconds instead of re-importing pandas.
    Only effective before the fork server first starts; harmless afterwards."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        wanted = sorted(m for m in modules if m and m != "__main__")
        if wanted:
            multiprocessing.get_context("forkserver").set_forkserver_preload(wanted)


def _kill_pool(pool: cf.ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor cannot cancel a running call; killing its workers is the only way.
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except Exception:
            pass
    pool.shutdown(wait=True, cancel_futures=True)


def _probe() -> str:
    return "ok"


def _die_with(pid: int) -> None:
    """End this worker when the pipeline process ``pid`` ends (even by SIGKILL), so that a crashed
    pipeline leaves no parser processes behind. The worker's parent is the fork server, which
    itself only exits once every worker has, so the watch is on the pipeline itself."""
    import threading

    def watch() -> None:
        try:
            import select

            fd = os.pidfd_open(pid)  # Linux 5.3+: readable when the process ends
            select.select([fd], [], [])
        except (AttributeError, OSError):
            while True:
                time.sleep(2)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                except OSError:
                    pass
        os._exit(1)

    threading.Thread(target=watch, name="watch-pipeline", daemon=True).start()


def _init_worker(mem_limit_mb: int, pipeline_pid: int | None = None) -> None:
    if pipeline_pid and os.name == "posix":
        _die_with(pipeline_pid)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # each BLAS thread reserves address space
    os.environ["RUST_BACKTRACE"] = "0"  # a calamine panic is reported as a reason, not a 50-line trace
    if sys.platform.startswith("linux"):
        import resource
        limit = mem_limit_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard == resource.RLIM_INFINITY or hard > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort should not write a core file


def _invoke(fn: Callable, args: tuple) -> tuple[bool, Any]:
    """Runs in the worker: the result, or the reason of whatever was raised."""
    try:
        return True, fn(*args)
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        return False, LIMIT_REASON
    except BaseException as e:  # PyO3 PanicException derives from BaseException
        return False, f"文件解析出错（{type(e).__name__}: {str(e)[:200]}）"


def _unwrap(outcome: tuple[bool, Any]) -> Any:
    ok, value = outcome
    return value if ok else SandboxFailure(value)
