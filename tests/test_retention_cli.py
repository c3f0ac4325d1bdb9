"""`vault retention` on both backends: the same rule and roles as the API, as a named account."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Backend
from tests.factories import CITIZEN_ID
from tests.people import People
from tests.test_atomicity import settings_env
from tests.test_cli import vault_cli
from tests.test_retention import OLD, actions, owner, paper, readable
from vault.runtime import Vault


def test_holds_refusals_and_a_disposal_from_the_command_line(
    backend: Backend, vault: Vault, people: People, tmp_path: Path
) -> None:
    env = settings_env(backend.settings)
    owner_id = owner(vault, people, CITIZEN_ID)
    due = paper(vault, people, owner_id, "health_certificate", OLD)
    held = paper(vault, people, owner_id, "driving_licence", OLD)

    rules = vault_cli(["retention", "rules"], env, tmp_path)
    assert "birth_certificate\tpermanent\tLuật Hộ tịch" in rules.stdout, rules.stderr
    refused = vault_cli(["retention", "delete", str(due), "--as", "admin"], env, tmp_path)
    assert refused.returncode == 1 and "never deleted directly" in refused.stderr
    assert actions(vault, "document.delete")[-1][0] == "denied"
    denied = vault_cli(
        ["retention", "hold", "--as", "clerk", "--document", str(held), "--reason", "Thử"],
        env,
        tmp_path,
    )
    assert denied.returncode == 1
    hold = vault_cli(
        ["retention", "hold", "--as", "records", "--document", str(held), "--reason", "Vụ 7"],
        env,
        tmp_path,
    )
    assert hold.returncode == 0, hold.stderr

    listed = vault_cli(["retention", "list", "--as", "records"], env, tmp_path)
    batch_id = listed.stdout.strip()
    assert listed.returncode == 0 and batch_id, listed.stderr
    worker = vault_cli(["worker", "--once", "--kinds", "retention.list"], env, tmp_path)
    assert worker.returncode == 0, worker.stderr
    shown = vault_cli(["retention", "show", batch_id, "--as", "auditor"], env, tmp_path)
    assert f"{due}\thealth_certificate" in shown.stdout and str(held) not in shown.stdout

    approve = ["retention", "decide", batch_id, "--approve", "--note", "Đồng ý"]
    same = vault_cli([*approve, "--as", "records"], env, tmp_path)
    assert same.returncode == 1 and "another records officer" in same.stderr
    other = vault_cli([*approve, "--as", "records2"], env, tmp_path)
    assert other.returncode == 0 and other.stdout.strip() == "approved", other.stderr
    vault_cli(["worker", "--once", "--kinds", "retention.dispose"], env, tmp_path)
    shown = vault_cli(["retention", "show", batch_id, "--as", "records"], env, tmp_path)
    assert "disposed" in shown.stdout and f"disposed\t{due}" in shown.stdout
    assert readable(vault, held)
