"""How much CPU other programs use while the benchmark measures.

The benchmark is this process and its descendants (servers, wrk, the
compiler it started); everything else, except kernel threads, is
"foreign". A process's CPU time counts its own user and system time and
that of the children it has reaped (so short compiler runs show up in the
build tool that waited for them); the total is bounded by the machine's
busy time (/proc/stat) less the benchmark's own.

    before = snapshot()
    ...                          # measure
    used = foreign_since(before) # Foreign(pct=37.5, top="rustc:31.0 podman:4.2")
"""

import os
import time
from typing import NamedTuple

TICKS = os.sysconf("SC_CLK_TCK")


def processes():
    """pid -> (ppid, comm, cpu ticks incl. reaped children, is kernel thread)"""
    found = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name, "rb") as f:
                raw = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # fields[0] is state (stat field 3); see proc(5) for the numbering
        ppid = int(fields[1])
        flags = int(fields[6])
        ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        kthread = bool(flags & 0x00200000) or ppid == 2 or name == "2"
        found[int(name)] = (ppid, comm, ticks, kthread)
    return found


def ours(procs, root):
    children = {}
    for pid, (ppid, _, _, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in tree:
            continue
        tree.add(pid)
        todo.extend(children.get(pid, ()))
    return tree


def busy_ticks():
    """CPU ticks spent on anything but idle, I/O wait and steal, all cores."""
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = cpu[:7]
    return user + nice + system + irq + softirq


class Foreign(NamedTuple):
    """Foreign CPU as a percentage of one core, and its busiest programs."""

    pct: float
    top: str


def snapshot(root=None):
    """Every process's CPU time now; `root` (default: this process) and its
    descendants are the benchmark."""
    root = os.getpid() if root is None else root
    busy = busy_ticks()
    procs = processes()
    tree = ours(procs, root)
    return {
        "time": time.monotonic(),
        "busy": busy,
        "ours": sum(procs[pid][2] for pid in tree if pid in procs),
        "foreign": {pid: (p[1], p[2]) for pid, p in procs.items()
                    if pid not in tree and not p[3]},
    }


def foreign_since(before, root=None):
    """The CPU that processes outside the benchmark used since `before`."""
    return report(before, snapshot(root))


def idle(seconds, root=None):
    """The foreign CPU over the next `seconds`."""
    before = snapshot(root)
    time.sleep(seconds)
    return foreign_since(before, root)


def report(before, after):
    elapsed = max(after["time"] - before["time"], 1e-3)
    used = {}
    for pid, (comm, ticks) in after["foreign"].items():
        start = before["foreign"].get(pid)
        delta = ticks - (start[1] if start and start[0] == comm else 0)
        if delta > 0:
            used[comm] = used.get(comm, 0) + delta
    # Reaped children count whole, so the sum per program can overstate;
    # the machine's own total, less the benchmark's, bounds it.
    machine = (after["busy"] - before["busy"]) - (after["ours"] - before["ours"])
    total = max(0, min(sum(used.values()), machine))
    pct = lambda t: 100.0 * t / TICKS / elapsed
    top = sorted(used.items(), key=lambda kv: -kv[1])[:3]
    names = " ".join("%s:%.1f" % (c.replace(" ", "_"), pct(t)) for c, t in top if pct(t) >= 0.5)
    return Foreign(round(pct(total), 1), names or "-")
