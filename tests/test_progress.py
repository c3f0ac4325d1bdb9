"""Long commands show how far they have got: a bar in a terminal, plain lines in a log."""

from __future__ import annotations

import base64
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from api.progress import progress_display
from tests.conftest import Backend
from tests.factories import pdf_bytes
from tests.test_atomicity import CLERK, META, register_owner, settings_env
from vault.runtime import Vault
from vault.settings import DEVELOPMENT_MASTER_KEY, DEVELOPMENT_MASTER_KEY_ID

NEW_KEY = base64.b64encode(bytes(range(32))).decode()


def test_plain_lines_give_count_rate_and_time_left() -> None:
    out = io.StringIO()
    with progress_display("reindex: documents", stream=out, every=0) as progress:
        progress(0, 400)
        time.sleep(0.05)
        progress(100, 400)
        progress(400, 400)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("reindex: documents: 0/400 done")
    assert lines[1].startswith("reindex: documents: 100/400 done, ")
    assert lines[1].endswith(" s left") and "/s" in lines[1]
    # The last line is the end: no time left to announce.
    assert lines[-1].startswith("reindex: documents: 400/400 done") and "left" not in lines[-1]


def test_plain_lines_are_few_on_a_long_run() -> None:
    out = io.StringIO()
    with progress_display("export: files", stream=out, every=3600) as progress:
        for done in range(10_000):
            progress(done + 1, None)
    # One line at the end, not one per file.
    assert out.getvalue().splitlines() == [out.getvalue().splitlines()[-1]]
    assert out.getvalue().startswith("export: files: 10000 done")


def test_a_terminal_gets_a_progress_bar(backend: Backend, vault: Vault, tmp_path: Path) -> None:
    owner_id = register_owner(vault)
    with vault.uows() as uow:
        vault.documents.upload(uow, CLERK, owner_id, META, io.BytesIO(pdf_bytes()))
        uow.commit()
    env = settings_env(backend.settings)
    env["VAULT_MASTER_KEYS"] = json.dumps(
        {DEVELOPMENT_MASTER_KEY_ID: DEVELOPMENT_MASTER_KEY, "2026-12": NEW_KEY}
    )
    env["VAULT_ACTIVE_MASTER_KEY_ID"] = "2026-12"
    env["COLUMNS"], env["TERM"] = "120", "xterm"
    main, child = pty.openpty()
    process = subprocess.Popen(
        [str(Path(sys.prefix, "bin", "vault")), "rotate-keys"],
        cwd=tmp_path,
        env=env,
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(main)
    assert process.wait(30) == 0, seen.decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))
    assert "rotate-keys: data keys rewrapped" in text
    assert "1/1" in text and "100%" in text, text  # rich's count and percentage columns
    assert "rewrapped 1 data keys with master key 2026-12" in text
