"""Sandbox: calls that raise, abort, exhaust memory or hang fail alone; the others succeed."""
import os
import sys
import time

import pytest
from corpus import CORPUS

from parsers.sandbox import LIMIT_REASON, Sandbox, SandboxFailure

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is Linux-only")


# Called in worker processes: module-level so they pickle by name.
def double(x):
    return x * 2


def pid(_):
    return os.getpid()


def fail():
    raise ValueError("表格读不出来")


class PanicLike(BaseException):
    """What PyO3 raises for a Rust panic: not an Exception."""


def panic():
    raise PanicLike("called `Option::unwrap()` on a `None` value")


def exit_worker():
    raise SystemExit(3)


def abort():
    os.abort()


def hog_memory():
    chunks = []
    while True:
        chunks.append(bytearray(64 << 20))


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def unpicklable():
    return lambda: None


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2, mem_limit_mb=512, timeout_s=2) as sb:
        yield sb


def test_results_in_order(sandbox):
    assert sandbox.run_many([(double, (i,)) for i in range(10)]) == [i * 2 for i in range(10)]
    assert sandbox.run_many([]) == []


def test_exceptions_become_failures(sandbox):
    out = sandbox.run_many([(double, (1,)), (fail, ()), (panic, ()), (exit_worker, ()),
                            (unpicklable, ()), (double, (2,))])
    assert out[0] == 2 and out[-1] == 4
    assert isinstance(out[1], SandboxFailure) and "ValueError" in out[1].reason
    assert isinstance(out[2], SandboxFailure) and "PanicLike" in out[2].reason
    assert isinstance(out[3], SandboxFailure)
    assert isinstance(out[4], SandboxFailure)


def test_abort_fails_alone(sandbox):
    calls = [(double, (1,)), (abort, ()), (double, (2,)), (double, (3,)), (abort, ()), (double, (4,))]
    out = sandbox.run_many(calls)
    assert out[0] == 2 and out[2] == 4 and out[3] == 6 and out[5] == 8
    assert out[1] == SandboxFailure(LIMIT_REASON) and out[4] == SandboxFailure(LIMIT_REASON)


@linux_only
def test_memory_limit_fails_alone(sandbox):
    out = sandbox.run_many([(hog_memory, ()), (double, (5,)), (double, (6,))])
    assert out == [SandboxFailure(LIMIT_REASON), 10, 12]


def test_timeout_fails_alone_and_is_bounded(sandbox):
    start = time.monotonic()
    out = sandbox.run_many([(sleep, (30,)), (double, (1,)), (sleep, (0.2,)), (double, (2,))])
    assert out == [SandboxFailure(LIMIT_REASON), 2, 0.2, 4]
    assert time.monotonic() - start < 8


def test_pool_reused_across_batches_and_recovers_after_crash(sandbox):
    before = set(sandbox.run_many([(pid, (i,)) for i in range(4)]))
    again = set(sandbox.run_many([(pid, (i,)) for i in range(4)]))
    assert len(before | again) <= 2  # the pool's two workers served both batches: no new pool per batch
    assert os.getpid() not in before
    sandbox.run_many([(abort, ())])
    assert sandbox.run_many([(double, (21,))]) == [42]


def test_inline_mode_catches_exceptions_in_process():
    sb = Sandbox(workers=0)
    out = sb.run_many([(double, (2,)), (fail, ()), (panic, ()), (pid, (0,))])
    assert out[0] == 4 and isinstance(out[1], SandboxFailure) and isinstance(out[2], SandboxFailure)
    assert out[3] == os.getpid()
    sb.close()


def test_real_calamine_abort_is_contained():
    """calamine aborts the process (Rust allocation failure) on this .xls: allocations doubling to 8 GiB."""
    f = CORPUS / "office" / "edr__Test_git_issue_382_oom.xls"
    if not f.exists():
        pytest.skip(f"corpus file absent: {f}")
    from parsers.spreadsheet import read_workbook
    with Sandbox(workers=2, timeout_s=30) as sb:
        out = sb.run_many([(read_workbook, (f.read_bytes(),)), (double, (4,))])
    assert isinstance(out[0], SandboxFailure) and out[1] == 8


def hungry(mb):
    block = b"x" * (mb * 2**20)  # written, so resident
    time.sleep(4)
    return len(block)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tree is measured through /proc here")
def test_the_whole_tree_keeps_one_memory_budget_and_the_hungry_file_fails_alone():
    from parsers import memwatch
    from parsers.sandbox import _MARGIN, BUDGET_REASON

    with Sandbox(workers=2, mem_limit_mb=4096, timeout_s=60) as warm:  # the fork server and two workers up
        warm.run_many([(double, (1,)), (double, (2,))])
        baseline = sum(rss for _, rss in memwatch.tree(os.getpid()).values()) // 2**20
    budget = baseline + 300  # each worker alone stays far below its own limit (4 GB)
    with Sandbox(workers=2, mem_limit_mb=4096, timeout_s=60, budget_mb=budget) as box:
        results = box.run_many([(double, (21,)), (hungry, (600,)), (hungry, (20,)), (double, (4,))])
    assert results[0] == 42 and results[2] == 20 * 2**20 and results[3] == 8
    assert isinstance(results[1], SandboxFailure)
    assert results[1].reason == BUDGET_REASON.format(mb=budget)
    # the watch acts once the tree passes _MARGIN of the budget, before it can pass the budget itself
    assert box.peak_tree_bytes > _MARGIN * budget * 2**20
