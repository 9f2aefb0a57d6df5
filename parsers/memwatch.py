"""Resident memory of a process tree: the pipeline, its fork server, its parser workers and what they
start (LibreOffice). Linux reads /proc; elsewhere psutil when installed; otherwise nothing is measured
(``tree`` returns None) and only the per-process limits apply."""
from __future__ import annotations

import os
import sys

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def tree(root: int) -> dict[int, tuple[int, int]] | None:
    """{pid: (parent pid, resident bytes)} for ``root`` and all its descendants, or None if unknown."""
    if sys.platform.startswith("linux"):
        return _proc_tree(root)
    try:
        import psutil
    except ImportError:
        return None
    out = {}
    try:
        top = psutil.Process(root)
        for proc in [top, *top.children(recursive=True)]:
            try:
                out[proc.pid] = (proc.ppid(), proc.memory_info().rss)
            except psutil.Error:
                pass
    except psutil.Error:
        return None
    return out


def _proc_tree(root: int) -> dict[int, tuple[int, int]]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        parents[int(name)] = int(fields[1])
    wanted, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in wanted:
                wanted.add(child)
                frontier.append(child)
    out = {}
    for pid in wanted:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                out[pid] = (parents.get(pid, 0), int(f.read().split()[1]) * _PAGE)
        except (OSError, ValueError, IndexError):
            pass
    return out


def subtree_rss(procs: dict[int, tuple[int, int]], top: int) -> int:
    """Resident bytes of ``top`` and its descendants within ``procs``."""
    total, frontier = 0, [top]
    while frontier:
        pid = frontier.pop()
        if pid in procs:
            total += procs[pid][1]
        frontier += [p for p, (ppid, _) in procs.items() if ppid == pid]
    return total


def descendants(procs: dict[int, tuple[int, int]], top: int) -> list[int]:
    out, frontier = [], [top]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, (ppid, _) in procs.items() if ppid == pid]
        out += kids
        frontier += kids
    return out
