"""The image run by root's Podman: start-up, user, health, memory, stop."""

import json
import statistics
import time
from dataclasses import dataclass, field

import pytest

from support.http import get
from support.images import RUN_ID, SITE_URL

pytestmark = pytest.mark.container


@dataclass
class Starts:
    name: str  # the container kept running, started last
    url: str
    healthy_ms: list = field(default_factory=list)  # run -> HEALTHCHECK passing
    run_ms: list = field(default_factory=list)  # of which `podman run -d` itself


def timed_start(podman, image, name, starts):
    """`podman run -d`, then the HEALTHCHECK polled until it passes."""
    t0 = time.monotonic()
    podman("run", "-d", "--name", name, "-p", "127.0.0.1::8000", "-e", f"SITE_URL={SITE_URL}",
           image)
    t1 = time.monotonic()
    if podman.wait_healthy(name):
        starts.healthy_ms.append(round((time.monotonic() - t0) * 1000))
        starts.run_ms.append(round((t1 - t0) * 1000))
        return True
    return False


@pytest.fixture(scope="module")
def started(podman, image, figures):
    """Three cold starts (a new container and volume each time), the last
    one kept for the tests below."""
    name = f"{RUN_ID}-root"
    starts = Starts(name, "")
    try:
        for i in (1, 2):
            timed_start(podman, image, f"{RUN_ID}-start{i}", starts)
            podman.remove(f"{RUN_ID}-start{i}")
        kept_healthy = timed_start(podman, image, name, starts)
        if starts.healthy_ms:
            figures.record("run -> healthy", f"{statistics.median(starts.healthy_ms):.0f} ms, median of "
                           f"{starts.healthy_ms} ms (HEALTHCHECK passing, rootful; podman run -d "
                           f"itself: {starts.run_ms} ms; target <= 1000 ms)")
        if not kept_healthy:
            pytest.fail(f"{name} did not become healthy:\n{podman.logs(name)}", pytrace=False)
        starts.url = podman.base_url(name)
        yield starts
    finally:
        for n in (f"{RUN_ID}-start1", f"{RUN_ID}-start2", name):
            podman.remove(n)


def test_container_reports_healthy(podman, started):
    assert podman.healthy(started.name)


def test_container_became_healthy_in_all_three_cold_starts(started):
    assert len(started.healthy_ms) == 3


def test_container_health_status_is_recorded_as_healthy(podman, started):
    status = podman("inspect", "--format", "{{.State.Health.Status}}", started.name, check=False).stdout
    if not status.strip():
        status = podman.inspect(started.name, "{{.State.Healthcheck.Status}}")
    assert status.strip() == "healthy"


def test_container_runs_as_uid_1000(podman, started):
    ids = [podman("exec", started.name, "id", flag).stdout.strip() for flag in ("-u", "-g")]
    assert ids == ["1000", "1000"]


def test_health_through_the_published_port_says_healthy_in_production(started):
    response = get(started.url + "/health")
    assert response.status == 200
    body = json.loads(response.body)
    assert (body["status"], body["environment"]) == ("healthy", "production")


# The memory target (docs/performance.md) is 20 MiB at peak, met with two
# workers; the image starts one worker per core of the host, about 0.2 MiB
# each, so the target is reported, not asserted. The ceiling holds on any
# host: three times the target, gone past only by memory that leaks or that
# should not be held at all.
IDLE_RSS_TARGET_KB = 20 * 1024
IDLE_RSS_CEILING_KB = 64 * 1024


def test_idle_memory_stays_under_the_ceiling(podman, started, figures):
    """The server's resident memory after start-up and the first requests
    (as the benchmark measures it)."""
    for path in ("/", "/feed.xml", "/health", "/"):
        assert get(started.url + path).status == 200, path
    pid = podman.inspect(started.name, "{{.State.Pid}}")
    with open(f"/proc/{pid}/status") as status:
        rss_kb = int(next(line.split()[1] for line in status if line.startswith("VmRSS:")))
    stats = podman("stats", "--no-stream", "--format", "{{.MemUsage}}", started.name,
                   check=False).stdout.strip() or "n/a"
    target = "met" if rss_kb <= IDLE_RSS_TARGET_KB else "missed"
    figures.record("idle memory", f"VmRSS {rss_kb} kB; cgroup (podman stats) {stats}; "
                                  f"target <= {IDLE_RSS_TARGET_KB} kB: {target}")
    assert rss_kb <= IDLE_RSS_CEILING_KB, f"VmRSS {rss_kb} kB, over {IDLE_RSS_CEILING_KB} kB"


def test_sigterm_stops_the_container_gracefully(podman, started, figures):
    """Exit status 0: the server stopped on SIGTERM by itself, before
    `podman stop` would have resorted to SIGKILL (status 137)."""
    t0 = time.monotonic()
    podman("stop", "-t", "10", started.name, check=False)
    figures.record("podman stop", f"{(time.monotonic() - t0) * 1000:.0f} ms")
    assert podman.inspect(started.name, "{{.State.ExitCode}}") == "0", podman.logs(started.name)
