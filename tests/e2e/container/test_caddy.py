"""Caddyfile.example: formatted, valid, and what only Caddy does."""

import subprocess

import pytest

from support.http import get
from support.proxies import caddy_env, leftovers

pytestmark = pytest.mark.container


def caddy(*args, folder):
    return subprocess.run(["caddy", *args], capture_output=True, text=True, env=caddy_env(folder))


def test_caddyfile_example_is_formatted(repo, scratch):
    example = repo / "Caddyfile.example"
    done = caddy("fmt", str(example), folder=scratch)
    assert done.returncode == 0, done.stderr
    assert done.stdout == example.read_text()


def test_caddyfile_example_validates_as_shipped(repo, scratch):
    done = caddy("validate", "--config", str(repo / "Caddyfile.example"), "--adapter", "caddyfile",
                 folder=scratch)
    assert done.returncode == 0, done.stdout + done.stderr


def test_caddy_test_copy_adapts_the_domain_and_ports(caddy):
    assert leftovers(caddy.config, r"^example\.com|:8000|^\s*admin (off|localhost:2019)") == []
    assert "\tadmin 127.0.0.1:" in caddy.config.read_text()


def test_caddy_test_copy_validates(caddy):
    done = subprocess.run(["caddy", "validate", "--config", str(caddy.config), "--adapter", "caddyfile"],
                          capture_output=True, text=True, env=caddy_env(caddy.folder))
    assert done.returncode == 0, done.stdout + done.stderr


def test_caddy_offers_zstd_compression(caddy):
    assert get(caddy.url + "/", Accept_Encoding="zstd").header("Content-Encoding") == "zstd"
