"""Helpers shared by the end-to-end tests: HTTP, markup checks, Podman."""

import signal
import subprocess


def tail(text, lines=20):
    """The last lines of a log, for failure messages."""
    return "\n".join(str(text).splitlines()[-lines:])


def stop(process):
    """SIGTERM, then SIGKILL after 10 s; waits for the process to end."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
