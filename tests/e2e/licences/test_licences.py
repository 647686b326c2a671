"""StarPunk is MIT: its LICENSE says so, and every package cargo builds it
from has a licence an MIT program may ship (support.licences). Needs only
cargo and the lock file: no server, no network once the crates are fetched."""

import hashlib
import json
import subprocess

import pytest

from support import licences, tail


def cargo_metadata(repo):
    done = subprocess.run(["cargo", "metadata", "--format-version", "1", "--locked"],
                          cwd=repo, capture_output=True, text=True)
    assert done.returncode == 0, tail(done.stderr)
    return json.loads(done.stdout)


def package(name, license, **extra):
    return {"name": name, "version": "1.0.0", "license": license,
            "license_file": None, "manifest_path": "/nowhere/Cargo.toml", **extra}


def test_the_repository_is_mit_licensed(repo):
    text = (repo / "LICENSE").read_text()
    assert text.startswith("MIT License\n"), text[:80]
    assert "Copyright (c) 2026 The StarPunk contributors" in text
    assert 'license = "MIT"' in (repo / "Cargo.toml").read_text()


def test_every_dependency_has_a_licence_an_mit_program_may_ship(repo):
    metadata = cargo_metadata(repo)
    assert len(metadata["packages"]) > 100, "cargo metadata listed too few packages"
    assert licences.problems(metadata) == []


@pytest.mark.parametrize("expression", [
    "MIT",
    "MIT OR Apache-2.0",
    "MIT/Apache-2.0",
    "Apache-2.0 / MIT",
    "(MIT OR Apache-2.0) AND Unicode-3.0",
    "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT",
    "MIT OR Apache-2.0 OR LGPL-2.1-or-later",
    "GPL-3.0-only OR MIT",
    "Apache-2.0 AND ISC",
    "MPL-2.0",
    "MIT or Apache-2.0",
    "((Zlib))",
])
def test_expressions_met_by_permissive_licences_pass(expression):
    assert licences.permissive(expression)


@pytest.mark.parametrize("expression", [
    "GPL-3.0-only",
    "AGPL-3.0-or-later",
    "GPL-2.0+",
    "MIT AND GPL-3.0-only",
    "(MIT OR Apache-2.0) AND LGPL-2.1-only",
    "MIT AND (GPL-2.0-only OR AGPL-3.0-only)",
    "GPL-2.0-only WITH Classpath-exception-2.0",
    "MIT WITH Some-unknown-exception",
    "SSPL-1.0",
    "LicenseRef-Proprietary",
])
def test_expressions_that_need_copyleft_or_unknown_terms_fail(expression):
    assert not licences.permissive(expression)


@pytest.mark.parametrize("expression", [
    "MIT OR", "(MIT", "MIT)", "MIT Apache-2.0", "AND MIT", "MIT WITH", "(MIT OR ISC) WITH LLVM-exception",
    "MIT, Apache-2.0", "",
])
def test_malformed_expressions_are_errors(expression):
    with pytest.raises(licences.ExpressionError):
        licences.permissive(expression)


def test_a_gpl_only_package_fails_the_check():
    metadata = {"packages": [
        package("fine", "MIT OR Apache-2.0"),
        package("copyleft", "GPL-3.0-only"),
        package("network-copyleft", "MIT AND AGPL-3.0-or-later"),
        package("garbled", "MIT OR"),
    ]}
    found = licences.problems(metadata)
    assert len(found) == 3, found
    assert found[0].startswith("copyleft 1.0.0: 'GPL-3.0-only'")
    assert found[1].startswith("network-copyleft 1.0.0:")
    assert found[2].startswith("garbled 1.0.0:")


def test_a_package_without_an_expression_must_be_listed_with_its_file(tmp_path):
    (tmp_path / "COPYING").write_text("Permission is hereby granted, free of charge…\n")
    digest = hashlib.sha256((tmp_path / "COPYING").read_bytes()).hexdigest()
    quiet = package("quiet", None, license_file="COPYING",
                    manifest_path=str(tmp_path / "Cargo.toml"))
    metadata = {"packages": [quiet]}
    [unlisted] = licences.problems(metadata, undeclared={})
    assert "declares no licence expression" in unlisted
    assert str(tmp_path / "COPYING") in unlisted
    assert licences.problems(metadata, undeclared={"quiet": ("MIT", digest)}) == []
    [gpl] = licences.problems(metadata, undeclared={"quiet": ("GPL-3.0-only", digest)})
    assert "not permissive" in gpl
    (tmp_path / "COPYING").write_text("GNU GENERAL PUBLIC LICENSE\n")
    [changed] = licences.problems(metadata, undeclared={"quiet": ("MIT", digest)})
    assert "changed since its licence was read" in changed
