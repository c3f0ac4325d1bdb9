# shellcheck shell=bash
# The project's virtualenv at .venv, installed from a hash-pinned lock file. Sourced:
#
#   source scripts/lib/python-env.sh
#   ensure_python_env requirements.lock        # or requirements-dev.lock
#
# uv (pinned, bootstrapped with pip) installs from the lock; re-running is a quick no-op.

VAULT_UV_VERSION=0.13.9

ensure_python_env() {
    local lock="$1"
    local python="${VAULT_PYTHON:-python3}"
    if ! command -v "$python" >/dev/null; then
        echo "error: $python not found; install Python 3.11 or newer" >&2
        return 1
    fi
    if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: Python 3.11 or newer is needed ($python is $("$python" -V 2>&1))" >&2
        return 1
    fi
    if [[ ! -x .venv/bin/python ]]; then
        echo "creating .venv with $("$python" -V 2>&1)"
        "$python" -m venv .venv || return 1
    fi
    if [[ "$(.venv/bin/uv --version 2>/dev/null)" != "uv $VAULT_UV_VERSION"* ]]; then
        .venv/bin/python -m pip install --quiet --disable-pip-version-check \
            "uv==$VAULT_UV_VERSION" || return 1
    fi
    .venv/bin/uv pip install --quiet --python .venv/bin/python --require-hashes -r "$lock" \
        || return 1
    # The project itself, editable, without touching the pinned dependencies.
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e . || return 1
    # The SDK is a package of its own (client_sdk/); its dependencies are in the lock files.
    .venv/bin/uv pip install --quiet --python .venv/bin/python --no-deps -e ./client_sdk \
        || return 1
}
