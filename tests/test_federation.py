"""Reuse between the vaults of two provinces, with two real vault processes (uvicorn), each
with its own PostgreSQL database and S3 bucket, authenticating to each other with
private_key_jwt assertions checked against each other's published JWKS.

Province A's officer opens a dossier for a citizen who moved from province B; A's reuse plan
asks B; B decides under its own access rule; A takes the paper, verifies its signatures,
stores a copy marked as taken from B, and records reused = 1. Also: B refuses a type the
procedure does not need, a paper altered in transit is refused, a peer that is down or
silent costs only its own candidates, and both sides audit the exchange.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from vault_client import AsyncVaultClient, VaultClient

from tests.conftest import new_bucket
from tests.factories import CITIZEN_ID, signed_pdf_bytes, signer_certificate
from tests.support import postgres
from tests.support.federation import (
    Province,
    SilentPeer,
    TamperingProxy,
    new_pem,
    vault_process,
)
from tests.support.live import free_port
from tests.support.s3server import S3Server
from vault.auth import Role
from vault.db import migrate
from vault.integrations.auth import PrivateKeyJwt
from vault.integrations.base import IntegrationRefused, RetryPolicy, Timeouts
from vault.integrations.http import HttpCaller
from vault.integrations.peer import DocumentRef, HttpPeerVault, ReuseRequest
from vault.runtime import Vault
from vault.services.dossiers import VIETNAM

A_AGENCY = "000.00.15.H57"  # a ward of province A
B_AGENCY = "000.00.31.H75"  # the justice office of province B
PROCEDURE = "2.000488"  # criminal record extract: needs chip_id_card and birth_certificate
BUDGET = 4.0
PASSWORD = "mat-khau-thu-nghiem-lien-tinh"


def _province(name: str, label: str, agency: str, prefix: str, s3: S3Server) -> Province:
    url = postgres.create_database(f"vault_fed_{name}")
    migrate.upgrade(url)
    return Province(
        name=name,
        label=label,
        agency=agency,
        prefix=prefix,
        database_url=url,
        s3_endpoint=s3.endpoint,
        s3_access_key=s3.access_key,
        s3_secret_key=s3.secret_key,
        bucket=new_bucket(s3),
    )


def _officer(
    province: Province, username: str, roles: list[Role], agency: str | None = None
) -> dict[str, str]:
    vault = Vault.from_settings(province.settings())
    try:
        with vault.uows() as uow:
            vault.auth.add_agency(uow, agency or province.agency, f"Cơ quan {province.label}")
            account = vault.auth.add_officer(
                uow,
                username=username,
                full_name=f"Cán bộ {username}",
                agency_code=agency or province.agency,
                roles=roles,
                password=PASSWORD,
            )
            uow.commit()
        return {"Authorization": f"Bearer {vault.auth.token_for(account).token}"}
    finally:
        vault.close()


def _owner_token(province: Province, owner_id: str) -> dict[str, str]:
    vault = Vault.from_settings(province.settings())
    try:
        with vault.uows() as uow:
            account = vault.auth.add_owner_account(
                uow, owner_id=uuid.UUID(owner_id), username=f"owner-{owner_id[:8]}"
            )
            uow.commit()
        return {"Authorization": f"Bearer {vault.auth.token_for(account).token}"}
    finally:
        vault.close()


def _register(http: httpx.Client) -> str:
    r = http.post(
        "/api/v1/owners",
        json={"kind": "citizen", "identifier": CITIZEN_ID, "display_name": "Nguyễn Thị Hương"},
    )
    assert r.status_code in (200, 201), r.text
    owner_id: str = r.json()["id"]
    return owner_id


def _store(http: httpx.Client, owner_id: str, paper_type: str, title: str) -> str:
    r = http.post(
        f"/api/v1/owners/{owner_id}/documents",
        data={
            "paper_type": paper_type,
            "title": title,
            "origin": "issued_result",
            "issuer_agency_code": B_AGENCY,
            "issue_date": "2019-04-02",
        },
        files={"file": ("paper.pdf", signed_pdf_bytes(), "application/pdf")},
    )
    assert r.status_code == 201, r.text
    document_id: str = r.json()["id"]
    return document_id


@pytest.fixture
def provinces(s3_server: S3Server, tmp_path: Path) -> Iterator[dict[str, Any]]:
    a = _province("tinh-a", "tỉnh A", A_AGENCY, "000.00.15", s3_server)
    b = _province("tinh-b", "tỉnh B", B_AGENCY, "000.00.31", s3_server)
    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "signer.der").write_bytes(signer_certificate())
    verify = {"VAULT_VERIFY_TRUST_ROOTS": f'["{roots / "signer.der"}"]'}
    silent = SilentPeer()
    down_port = free_port()  # nothing listens there
    try:
        with (
            TamperingProxy(b.url, forge_digest=False) as altered,
            TamperingProxy(b.url, forge_digest=True) as forged,
        ):
            token = b.url + "/federation/token"
            a_peers = [
                b.as_peer(),
                {
                    **b.as_peer(altered.url),
                    "name": "tinh-b-altered",
                    "label": "tỉnh B (qua đường truyền bị sửa)",
                    "token_endpoint": token,
                },
                {
                    **b.as_peer(forged.url),
                    "name": "tinh-b-forged",
                    "label": "tỉnh B (qua đường truyền giả mạo)",
                    "token_endpoint": token,
                },
                {
                    "name": "tinh-c",
                    "label": "tỉnh C",
                    "agency_prefix": "000.00.40",
                    "url": f"http://127.0.0.1:{down_port}",
                },
                {
                    "name": "tinh-d",
                    "label": "tỉnh D",
                    "agency_prefix": "000.00.50",
                    "url": silent.url,
                },
            ]
            budget = {"VAULT_PEER_BUDGET_SECONDS": str(BUDGET), **verify}
            a_env = a.environment(a_peers, budget)
            # B knows A (and the same A behind the proxies: it is one client, "tinh-a").
            b_env = b.environment([a.as_peer()], verify)
            (tmp_path / "a").mkdir()
            (tmp_path / "b").mkdir()
            with (
                vault_process(b, b_env, tmp_path / "b.log", tmp_path / "b"),
                vault_process(a, a_env, tmp_path / "a.log", tmp_path / "a"),
            ):
                yield {"a": a, "b": b, "altered": altered, "forged": forged}
    finally:
        silent.close()
        for province in (a, b):
            postgres.drop_database(province.database_url)


def _dossier(http: httpx.Client, owner_id: str, seq: int = 1) -> str:
    now = datetime.now(UTC).astimezone(VIETNAM)
    r = http.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{A_AGENCY}-{now:%y%m%d}-{seq:04d}",
            "procedure_code": PROCEDURE,
            "owner_id": owner_id,
            "received_at": (now - timedelta(minutes=1)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    dossier_id: str = r.json()["id"]
    return dossier_id


def _as_province_a(a: Province, b: Province) -> HttpPeerVault:
    """B's federation API as province A's vault calls it (A's key, A's client id)."""
    key = serialization.load_pem_private_key(a.key_pem.encode(), password=None)
    auth = PrivateKeyJwt(
        system="peer_vault tinh-b",
        client_id=a.name,
        token_url=b.url + "/federation/token",
        private_key=key,  # type: ignore[arg-type]
        key_id=f"{a.name}-1",
    )
    caller = HttpCaller(
        "peer_vault tinh-b",
        b.url,
        timeouts=Timeouts(connect=5, read=30, write=30),
        policy=RetryPolicy(attempts=1),
        auth=auth,
    )
    return HttpPeerVault(caller)


def test_reuse_between_two_provinces(provinces: dict[str, Any]) -> None:
    a: Province = provinces["a"]
    b: Province = provinces["b"]
    b_issuer = _officer(b, "b-issuer", [Role.RECEIVING_OFFICER, Role.ISSUING_OFFICER])
    a_receiver = _officer(a, "a-receiver", [Role.RECEIVING_OFFICER])
    with (
        httpx.Client(base_url=b.url, headers=b_issuer, timeout=60) as in_b,
        httpx.Client(base_url=a.url, headers=a_receiver, timeout=60) as in_a,
    ):
        # Province B holds the citizen's birth certificate and marriage certificate.
        b_owner = _register(in_b)
        birth = _store(in_b, b_owner, "birth_certificate", "Giấy khai sinh")
        marriage = _store(in_b, b_owner, "marriage_certificate", "Giấy chứng nhận kết hôn")

        # The verifiers start their worker processes on first use: not inside the budget.
        for url in (a.url, b.url):
            warm = httpx.post(
                url + "/api/v1/verifications",
                files={"file": ("x.pdf", signed_pdf_bytes(), "application/pdf")},
                timeout=120,
            )
            assert warm.status_code == 200, warm.text

        # Province A: the citizen moved here; an officer opens a dossier.
        a_owner = _register(in_a)
        dossier = _dossier(in_a, a_owner)

        started = time.monotonic()
        plan = in_a.get(f"/api/v1/dossiers/{dossier}/reuse")
        took = time.monotonic() - started
        assert plan.status_code == 200, plan.text
        # The silent peer costs the budget, not more (plus the local plan).
        assert took < BUDGET + 5, took
        body = plan.json()
        needed = {n["paper_type"]: n for n in body["needed"]}
        assert needed["birth_certificate"]["on_file"] is False  # nothing local yet
        remote = {r["peer"]: r for r in body["remote"]}
        assert remote["tinh-b"]["status"] == "answered", remote["tinh-b"]
        [offered] = remote["tinh-b"]["candidates"]
        assert offered["document_id"] == birth  # only what the procedure needs
        assert offered["source"] == "tỉnh B"
        assert offered["usable"] is True, offered
        assert offered["has_signature"] is True
        assert [r["code"] for r in offered["reasons"]] == ["signature_valid"]
        # A peer that is down, and one that never answers: only their candidates are lost.
        assert remote["tinh-c"]["status"] == "no_answer"
        assert remote["tinh-c"]["message"] == "tỉnh C did not answer"
        assert remote["tinh-d"]["status"] == "no_answer"
        assert remote["tinh-d"]["message"] == "tỉnh D did not answer"
        assert remote["tinh-d"]["seconds"] <= BUDGET + 1

        # The officer takes it: verified, copied, marked, attached with reused = 1.
        r = in_a.post(
            f"/api/v1/dossiers/{dossier}/peer-documents",
            json={"peer": "tinh-b", "document_id": birth},
        )
        assert r.status_code == 201, r.text
        taken = r.json()
        assert taken["attachment"]["reused"] == 1
        assert taken["attachment"]["from_warehouse"] is True
        assert taken["attachment"]["digitised"] is False
        assert taken["taken_from"]["source"] == "tỉnh B"
        assert taken["taken_from"]["peer"] == "tinh-b"
        assert taken["taken_from"]["remote_document_id"] == birth
        copy = taken["document"]
        assert copy["owner_id"] == a_owner
        assert copy["paper_type"] == "birth_certificate"
        assert copy["has_signature"] is True
        assert copy["issuer_agency_code"] == B_AGENCY
        # Byte for byte the paper B holds, signatures included.
        original = in_b.get(f"/api/v1/documents/{birth}/content").content
        assert in_a.get(f"/api/v1/documents/{copy['id']}/content").content == original

        # Taking it again attaches the same copy: no second copy.
        again = in_a.post(
            f"/api/v1/dossiers/{dossier}/peer-documents",
            json={"peer": "tinh-b", "document_id": birth},
        )
        assert again.status_code == 200, again.text
        assert again.json()["document"]["id"] == copy["id"]

        # The plan now shows it on file, marked as taken from B; B's offer as attached.
        body = in_a.get(f"/api/v1/dossiers/{dossier}/reuse").json()
        [local] = next(n for n in body["needed"] if n["paper_type"] == "birth_certificate")[
            "candidates"
        ]
        assert local["document"]["id"] == copy["id"] and local["usable"] is True
        assert local["attached"] is True
        assert local["taken_from"]["source"] == "tỉnh B"
        b_answer = next(r for r in body["remote"] if r["peer"] == "tinh-b")
        assert b_answer["candidates"][0]["attached"] is True
        local_only = in_a.get(f"/api/v1/dossiers/{dossier}/reuse", params={"peers": "false"})
        assert local_only.json()["remote"] == []

        # The same through the SDK, typed, sync and async.
        token = a_receiver["Authorization"].removeprefix("Bearer ")
        with VaultClient(a.url, access_token=token, timeout=60) as sdk:
            plan_sdk = sdk.reuse.needed_papers(dossier)
            by_peer = {o.peer: o for o in plan_sdk.remote}
            assert by_peer["tinh-b"].answered and not by_peer["tinh-c"].answered
            [remote_birth] = by_peer["tinh-b"].candidates
            assert remote_birth.source == "tỉnh B" and remote_birth.attached
            again_sdk = sdk.reuse.take_from_peer(
                dossier, peer=remote_birth.peer, document_id=remote_birth.document_id
            )
            assert str(again_sdk.document.id) == copy["id"]
            assert again_sdk.taken_from.source == "tỉnh B"
            assert sdk.reuse.needed_papers(dossier, peers=False).remote == []

        async def through_async_sdk() -> None:
            async with AsyncVaultClient(a.url, access_token=token, timeout=60) as client:
                plan_async = await client.reuse.needed_papers(dossier)
                assert any(o.answered for o in plan_async.remote)
                taken_async = await client.reuse.take_from_peer(
                    dossier, peer="tinh-b", document_id=birth
                )
                assert taken_async.attachment.reused == 1

        asyncio.run(through_async_sdk())

        # Another agency's officer in A: no plan, and nothing is asked of the peers.
        lookups_before = _lookups_in(b)
        stranger_officer = _officer(a, "a-other", [Role.RECEIVING_OFFICER], "000.00.16.H57")
        no_plan = in_a.get(f"/api/v1/dossiers/{dossier}/reuse", headers=stranger_officer)
        assert no_plan.status_code == 403, no_plan.text
        assert _lookups_in(b) == lookups_before

        # The console: remote candidates with their source, each peer's answer, both languages.
        _console_checks(a, a_owner, dossier, a_receiver)

        # Altered in transit, announced digest kept: refused on the digest.
        altered = in_a.post(
            f"/api/v1/dossiers/{dossier}/peer-documents",
            json={"peer": "tinh-b-altered", "document_id": birth},
        )
        assert altered.status_code == 409, altered.text
        assert "altered in transit" in altered.json()["detail"]
        assert provinces["altered"].altered >= 1
        # Altered with a forged digest: refused by the signature check.
        forged = in_a.post(
            f"/api/v1/dossiers/{dossier}/peer-documents",
            json={"peer": "tinh-b-forged", "document_id": birth},
        )
        assert forged.status_code == 409, forged.text
        assert "signature invalid" in forged.json()["detail"], forged.json()
        # Nothing of either was kept.
        attached = in_a.get(f"/api/v1/dossiers/{dossier}/documents").json()
        assert [d["document_id"] for d in attached] == [copy["id"]]

        # B refuses a paper type the procedure does not need, and its content.
        peer = _as_province_a(a, b)
        try:
            request = ReuseRequest(
                owner_identifier=CITIZEN_ID,
                paper_types=("marriage_certificate", "birth_certificate"),
                dossier_code=f"{A_AGENCY}-{datetime.now(VIETNAM):%y%m%d}-0001",
                purpose="Cấp Phiếu lý lịch tư pháp",
                procedure_code=PROCEDURE,
                requesting_agency=A_AGENCY,
                officer_id="a-officer-2",
                officer_name="Cán bộ thử từ chối",
            )
            answer = peer.reuse_candidates(request)
            assert [c.ref.document_id for c in answer.candidates] == [birth]
            assert [(r.paper_type, r.reason.code) for r in answer.refused] == [
                ("marriage_certificate", "not_needed")
            ]
            marriage_ref = DocumentRef(marriage, "0" * 64, 1, "application/pdf")
            with pytest.raises(IntegrationRefused) as refused:
                peer.fetch_document(marriage_ref, request)
            assert refused.value.status == 403
            # A peer may not speak for an agency outside its province.
            other = dataclasses.replace(request, requesting_agency=B_AGENCY)
            with pytest.raises(IntegrationRefused) as outside:
                peer.reuse_candidates(other)
            assert outside.value.status == 403
        finally:
            peer.close()

        # A stranger's key, claiming to be province A: no token.
        stranger = dataclasses.replace(a, key_pem=new_pem())
        impostor = _as_province_a(stranger, b)
        try:
            with pytest.raises(IntegrationRefused) as no_token:
                impostor.reuse_candidates(request)
            assert no_token.value.status == 401
        finally:
            impostor.close()

        # Audit in B: the citizen's access log names A's officer, agency and dossier.
        b_citizen = _owner_token(b, b_owner)
        log = in_b.get("/api/v1/me/access-log", headers=b_citizen, params={"limit": 200})
        assert log.status_code == 200, log.text
        entries = log.json()["items"]
        downloads = [
            e
            for e in entries
            if e["action"] == "document.download"
            and e["document_id"] == birth
            and e["agency_code"] == A_AGENCY
        ]
        ok = [e for e in downloads if e["outcome"] == "ok"]
        assert ok, entries
        assert ok[0]["who"] == "Cán bộ a-receiver"
        code = f"{A_AGENCY}-{datetime.now(VIETNAM):%y%m%d}-0001"
        assert code in ok[0]["purpose"] and "tỉnh A" in ok[0]["purpose"]
        looked = [e for e in entries if e["action"] == "peer.reuse_candidates"]
        assert any(e["outcome"] == "ok" and code in e["purpose"] for e in looked)
        denied = [e for e in entries if e["outcome"] == "denied"]
        assert any(e["action"] == "peer.reuse_candidates" for e in denied)  # marriage asked
        assert any(
            e["action"] == "document.download" and e["document_id"] == marriage for e in denied
        )

        # Audit in A: the question to the peers, the copy, the attach, the refusals.
        a_citizen = _owner_token(a, a_owner)
        log = in_a.get("/api/v1/me/access-log", headers=a_citizen, params={"limit": 200})
        entries = log.json()["items"]
        actions = {(e["action"], e["outcome"]) for e in entries}
        assert ("peer.ask", "ok") in actions
        assert ("document.take_from_peer", "ok") in actions
        assert ("dossier.attach", "ok") in actions
        attach = next(
            e
            for e in entries
            if e["action"] == "dossier.attach"
            and e["outcome"] == "ok"
            and e["dossier_id"] == dossier
        )
        assert attach["document_id"] == copy["id"]
        assert "taken from tỉnh B's vault" in attach["purpose"]
        assert attach["dossier_code"] == code
        refused_here = [
            e for e in entries if e["action"] == "dossier.attach" and e["outcome"] == "denied"
        ]
        assert len(refused_here) == 2  # the altered and the forged paper


def _lookups_in(b: Province) -> int:
    """How many reuse look-ups B's audit log holds (B's database, read directly)."""
    vault = Vault.from_settings(b.settings())
    try:
        with vault.uows() as uow:
            return sum(1 for e in uow.audit.iter_all() if e.action == "peer.reuse_candidates")
    finally:
        vault.close()


def _console_checks(a: Province, owner_id: str, dossier: str, api_headers: dict[str, str]) -> None:
    with httpx.Client(base_url=a.url, timeout=60, follow_redirects=False) as browser:
        login = browser.get("/console/login")
        r = browser.post(
            "/console/login",
            data={"username": "a-receiver", "password": PASSWORD, "csrf_token": _csrf(login)},
        )
        assert r.status_code == 303, r.text
        page = browser.get(f"/console/dossiers/{dossier}")
        assert page.status_code == 200, page.text
        text = page.text
        assert "Kho dữ liệu của tỉnh khác" in text
        assert "Từ kho của tỉnh B" in text  # the remote candidate, with its source
        assert "Lấy từ kho của tỉnh B" in text  # the local copy, marked
        assert "tỉnh C không trả lời kịp" in text and "tỉnh D không trả lời kịp" in text
        assert "tỉnh B: đã trả lời" in text

        # A second dossier of the same citizen: take the paper through the console's form.
        with httpx.Client(base_url=a.url, headers=api_headers, timeout=60) as api:
            second = _dossier(api, owner_id, seq=2)
        page = browser.get(f"/console/dossiers/{second}")
        assert 'class="take-button"' in page.text
        r = browser.post(
            f"/console/dossiers/{second}/take",
            data={
                "csrf_token": _csrf(page),
                "peer": "tinh-b",
                "document_id": _remote_id(page.text),
                "paper_type": "birth_certificate",
            },
        )
        assert r.status_code == 303, r.text
        page = browser.get(f"/console/dossiers/{second}")
        assert "Đã lấy giấy tờ từ kho của tỉnh khác" in page.text  # the flash
        assert "Đã lấy về và đính kèm" in page.text

        browser.get("/console/lang", params={"to": "en", "next": f"/console/dossiers/{second}"})
        page = browser.get(f"/console/dossiers/{second}")
        assert "Other provinces&#39; vaults" in page.text or "Other provinces' vaults" in page.text
        assert "tỉnh D did not answer" in page.text
        assert "Taken from tỉnh B" in page.text

        # What the officer sees, in a real browser (Debian's Chromium), kept as an artefact.
        browser.get("/console/lang", params={"to": "vi", "next": "/console/"})
        _screenshot(a, browser, dossier)


SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _screenshot(a: Province, browser: httpx.Client, dossier: str) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "federation-dossier-vi.png"
    cookies = [
        {"name": c.name, "value": c.value or "", "domain": "127.0.0.1", "path": c.path or "/"}
        for c in browser.cookies.jar
    ]
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            context = chromium.new_context(viewport={"width": 1100, "height": 900})
            context.add_cookies(cookies)  # type: ignore[arg-type]
            page = context.new_page()
            page.goto(f"{a.url}/console/dossiers/{dossier}")
            remote = page.locator("li.remote-candidate").first
            assert "Từ kho của tỉnh B" in remote.inner_text()
            assert page.locator("li.peer-status.peer-no_answer").count() == 2
            page.screenshot(path=str(path), full_page=True)
        finally:
            chromium.close()
    assert path.stat().st_size > 10_000


def _csrf(response: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', response.text)
    assert found, "no csrf_token on the page"
    return found[1]


def _remote_id(text: str) -> str:
    found = re.search(
        r'class="take-form".*?name="document_id" value="([0-9a-f-]{36})"', text, re.DOTALL
    )
    assert found, "no take form on the page"
    return found[1]
