"""Defaults, in one place so the README's table and the code cannot drift apart."""

from __future__ import annotations

import httpx

API_PREFIX = "/api/v1"

# Connect fails fast (a dead host should not hold a one-stop counter); reads and writes get
# a minute between bytes, which is per chunk, not per file, so large uploads are fine.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=5.0, pool=10.0)
DEFAULT_MAX_RETRIES = 2
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A Retry-After longer than this is not waited out: the error is raised at once instead.
MAX_RETRY_AFTER = 60.0
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=50, max_keepalive_connections=20)

# Refresh an access token this long before it expires (capped at a fifth of its lifetime).
TOKEN_REFRESH_MARGIN = 30.0

# Pieces read from an upload source and written to a download sink.
CHUNK_SIZE = 256 * 1024

# Configuration from the environment. Not VAULT_*: the server's settings and HashiCorp
# Vault's CLI (VAULT_TOKEN, VAULT_MAX_RETRIES) both live there.
ENV_PREFIX = "CITIZEN_VAULT_"
ENV_BASE_URL = ENV_PREFIX + "BASE_URL"
ENV_CLIENT_ID = ENV_PREFIX + "CLIENT_ID"
ENV_CLIENT_SECRET = ENV_PREFIX + "CLIENT_SECRET"
ENV_OFFICER = ENV_PREFIX + "OFFICER"
ENV_ACCESS_TOKEN = ENV_PREFIX + "ACCESS_TOKEN"
ENV_TIMEOUT = ENV_PREFIX + "TIMEOUT"
ENV_MAX_RETRIES = ENV_PREFIX + "MAX_RETRIES"
