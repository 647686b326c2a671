#!/usr/bin/env python3
"""How much CPU other programs used while the benchmark measured.

Usage:
  cpu_guard.py start STATE ROOT   remember every process's CPU time now
  cpu_guard.py check STATE ROOT   print the CPU that processes outside ROOT's
                                  tree used since `start`
  cpu_guard.py idle SECONDS ROOT  the same, over the next SECONDS

ROOT is the benchmark script's PID: it and its descendants (servers, wrk,
helpers) are the benchmark; everything else, except kernel threads, is
"foreign". A process's CPU time counts its own user and system time and
that of the children it has reaped (so short compiler runs show up in the
build tool that waited for them); the total is bounded by the machine's
busy time (/proc/stat) less the benchmark's own.

`check` and `idle` print one line: the foreign CPU as a percentage of one
core over the interval, then up to three of the busiest foreign programs,
e.g. `37.5 rustc:31.0 podman:4.2` (or `0.0 -`).
"""

import json
import os
import sys
import time

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


def snapshot(root):
    busy = busy_ticks()
    procs = processes()
    tree = ours(procs, root)
    return {
        "time": time.monotonic(),
        "busy": busy,
        "ours": sum(procs[pid][2] for pid in tree if pid in procs),
        "foreign": {str(pid): [p[1], p[2]] for pid, p in procs.items()
                    if pid not in tree and not p[3]},
    }


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
    return "%.1f %s" % (pct(total), names or "-")


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("start", "check", "idle"):
        sys.exit(__doc__)
    command, arg, root = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if command == "start":
        with open(arg, "w") as f:
            json.dump(snapshot(root), f)
    elif command == "check":
        with open(arg) as f:
            before = json.load(f)
        print(report(before, snapshot(root)).strip())
    else:
        before = snapshot(root)
        time.sleep(float(arg))
        print(report(before, snapshot(root)).strip())


if __name__ == "__main__":
    main()
