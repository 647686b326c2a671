"""Names shared by the container tests."""

import os

BASE_IMAGE = "docker.io/library/debian:trixie-slim"
BUILDER_IMAGE = "docker.io/library/rust:1-slim-trixie"
# The builder stage's dependency layer, kept between runs so that the next
# build does not compile every crate again (minutes on 2 cores). Each run
# replaces it, so the disk used stays bounded. STARPUNK_E2E_PRUNE=1 removes it.
CACHE_TAG = "localhost/starpunk-build-cache:deps"
# The image sets ENVIRONMENT=production, which refuses a SITE_URL on
# loopback (its permalinks would reach no reader). Sites here are published
# under this reserved name (RFC 2606, never resolves); requests still go to
# 127.0.0.1, and the checks take only the path from a permalink.
SITE_URL = "http://starpunk.test/"
RUN_ID = f"e2e{os.getpid()}"
