"""Podman, as root or as the rootless user, seen from the tests."""

import subprocess
import time



class Podman:
    """Runs `podman` (or the rootless wrapper, which takes the same
    arguments) and answers questions about containers."""

    def __init__(self, command, rootless):
        self.command = list(command)
        self.rootless = rootless

    def __call__(self, *args, input=None, check=True, timeout=600):
        done = subprocess.run([*self.command, *args], input=input, capture_output=True,
                              text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise AssertionError(f"podman {' '.join(args)} exited with {done.returncode}:\n"
                                 f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done

    def inspect(self, name, template, kind="container"):
        return self(kind, "inspect", "--format", template, name).stdout.strip()

    def healthy(self, name):
        """The image's HEALTHCHECK passes right now."""
        return self("healthcheck", "run", name, check=False, timeout=30).returncode == 0

    def running(self, name):
        return self("inspect", "--format", "{{.State.Running}}", name,
                    check=False).stdout.strip() == "true"

    def wait_healthy(self, name, seconds=30):
        """Polls the HEALTHCHECK until it passes; False if it never does or
        the container stops."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.healthy(name):
                return True
            if not self.running(name):
                return False
            time.sleep(0.05)
        return False

    def logs(self, name):
        done = self("logs", "--tail", "30", name, check=False)
        return done.stdout + done.stderr

    def host_port(self, name, container_port=8000):
        """The loopback port published for the container's port."""
        address = self("port", name, f"{container_port}/tcp").stdout.strip().splitlines()[0]
        return int(address.rsplit(":", 1)[1])

    def base_url(self, name):
        return f"http://127.0.0.1:{self.host_port(name)}"

    def publish_note(self, name, text):
        """`starpunk note new -` inside the container; the permalink."""
        return self("exec", "-i", name, "starpunk", "note", "new", "-",
                    input=text + "\n").stdout.strip()

    def remove(self, name):
        self("rm", "-f", "-v", name, check=False)

