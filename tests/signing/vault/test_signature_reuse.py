"""Reuse refuses a paper whose digital signature does not hold, on every path.

Real throughout: a certified copy signed by the officer and the office seal (SoftHSM2 keys
behind the CSC service, development TSA/OCSP over HTTP), the same bytes tampered with and
stored by the citizen, the bounded verifier judging both, the verdicts recorded in the
database, and the API's reuse plan and attach obeying them.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient

from api.console.signatures import badge
from signing.csc_server.dev_pki import DevPki
from signing.issuing.stored import verdict_of
from signing.issuing.wiring import VaultSigning
from signing.verify import Indication, TrustSettings, Verifier
from tests.conftest import Backend
from tests.factories import self_signed_certificate, upload
from tests.people import AGENCY, People
from tests.signing.vault.conftest import signing_app
from tests.signing.vault.test_certified_copies import certify, content, scanned_jpeg
from tests.signing.vault.test_vault_signing import new_owner
from tests.signing.verify import corpus, pdfs
from tests.signing.verify.conftest import LocalSigner
from tests.signing.verify.pdfs import tamper
from vault.domain import SignatureStatus, SignatureVerdict
from vault.runtime import Vault
from vault.services.reuse_rule import CHANGED_AFTER_SIGNING


@pytest.fixture
def api(vault: Vault, people: People, signing: VaultSigning, pki: DevPki) -> Iterator[TestClient]:
    app = signing_app(vault, signing)
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    with Verifier(trust) as verifier:  # offline: certified copies carry their own evidence
        app.state.verifier = verifier
        with TestClient(app) as client:
            yield client


def _certified_copy(api: TestClient, people: People, owner_id: str) -> str:
    """A genuine certified copy of a marriage certificate (officer + seal, B-LT): its id."""
    made = certify(
        api,
        people,
        owner_id,
        [("ban-chinh.jpg", scanned_jpeg(), "image/jpeg")],
        paper_type="marriage_certificate",
        title="Giấy chứng nhận kết hôn",
    )
    assert made.status_code == 201, made.text
    document_id: str = made.json()["document"]["id"]
    return document_id


def _owner(api: TestClient, people: People) -> tuple[str, dict[str, str]]:
    """The citizen, and her own sign-in (she stores papers herself)."""
    owner_id = new_owner(api, people)
    people.owner_account(owner_id, "huong")
    return owner_id, people.auth("huong")


def _stored_by_citizen(
    api: TestClient,
    owner_id: str,
    citizen: dict[str, str],
    pdf: bytes,
    title: str = "Giấy chứng nhận kết hôn",
) -> dict[str, Any]:
    """A PDF the citizen uploads herself as her marriage certificate."""
    return upload(
        api,
        owner_id,
        pdf,
        filename="ket-hon.pdf",
        content_type="application/pdf",
        headers=citizen,
        paper_type="marriage_certificate",
        title=title,
        origin="uploaded_by_owner",
    )


def _dossier(api: TestClient, people: People, owner_id: str, number: int) -> str:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    r = api.post(
        "/api/v1/dossiers",
        json={
            "dossier_code": f"{AGENCY}-{today:%y%m%d}-{number:04d}",
            "procedure_code": "1.001193",  # birth registration: needs the marriage certificate
            "owner_id": owner_id,
        },
        headers=people.auth("receiver"),
    )
    assert r.status_code in (200, 201), r.text
    dossier_id: str = r.json()["id"]
    return dossier_id


def test_a_tampered_paper_is_refused_and_a_good_one_is_offered(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, citizen = _owner(api, people)
    good_id = _certified_copy(api, people, owner_id)
    forged = tamper(content(api, people, good_id))
    bad = _stored_by_citizen(
        api, owner_id, citizen, forged, title="Giấy chứng nhận kết hôn (bản tải lên)"
    )
    assert bad["has_signature"] is True

    dossier_id = _dossier(api, people, owner_id, 1)
    plan = api.get(f"/api/v1/dossiers/{dossier_id}/reuse", headers=people.auth("receiver"))
    assert plan.status_code == 200, plan.text
    [marriage] = [n for n in plan.json()["needed"] if n["paper_type"] == "marriage_certificate"]
    by_id = {c["document"]["id"]: c for c in marriage["candidates"]}
    assert by_id[good_id]["usable"] is True
    assert by_id[good_id]["reasons"] == ["signature valid (signed by Nguyễn Văn An)"]
    assert by_id[bad["id"]]["usable"] is False
    assert by_id[bad["id"]]["reasons"] == ["signature invalid (HASH_FAILURE)"]

    # The plan recorded both verdicts against the bytes it judged.
    with vault.uows() as uow:
        checks = uow.signature_checks.latest([uuid.UUID(good_id), uuid.UUID(bad["id"])])
    assert checks[uuid.UUID(good_id)].status is SignatureStatus.VALID
    assert checks[uuid.UUID(bad["id"])].status is SignatureStatus.INVALID
    assert checks[uuid.UUID(bad["id"])].sha256 == bad["content"]["sha256"]

    attach = f"/api/v1/dossiers/{dossier_id}/documents"
    refused = api.post(attach, json={"document_id": bad["id"]}, headers=people.auth("receiver"))
    assert refused.status_code == 409, refused.text
    assert "signature invalid" in refused.json()["detail"]
    taken = api.post(attach, json={"document_id": good_id}, headers=people.auth("receiver"))
    assert taken.status_code in (200, 201), taken.text
    attached = api.get(attach, headers=people.auth("receiver")).json()
    assert [a["document_id"] for a in attached] == [good_id]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_attach_checks_a_signature_no_plan_has_judged_yet(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, citizen = _owner(api, people)
    forged = tamper(content(api, people, _certified_copy(api, people, owner_id)))
    bad = _stored_by_citizen(api, owner_id, citizen, forged)
    dossier_id = _dossier(api, people, owner_id, 2)
    # Straight to attach, as an agency system that skips the plan would.
    r = api.post(
        f"/api/v1/dossiers/{dossier_id}/documents",
        json={"document_id": bad["id"]},
        headers=people.auth("receiver"),
    )
    assert r.status_code == 409, r.text
    assert r.json()["detail"] == "this paper cannot be reused: signature invalid (HASH_FAILURE)"
    # Refused means nothing stays: no attachment (the verdict is judged again next time).
    listed = api.get(
        f"/api/v1/dossiers/{dossier_id}/documents", headers=people.auth("receiver")
    ).json()
    assert listed == []


def _forged_copy(api: TestClient, people: People, owner_id: str) -> bytes:
    return tamper(content(api, people, _certified_copy(api, people, owner_id)))


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_signature_from_an_untrusted_root_is_not_reusable(
    vault: Vault, people: People, signing: VaultSigning
) -> None:
    stranger = _self_signed_root()
    app = signing_app(vault, signing)
    with Verifier(TrustSettings(roots=(stranger,))) as verifier:
        app.state.verifier = verifier
        with TestClient(app) as api:
            owner_id, _ = _owner(api, people)
            copy_id = _certified_copy(api, people, owner_id)
            dossier_id = _dossier(api, people, owner_id, 3)
            plan = api.get(
                f"/api/v1/dossiers/{dossier_id}/reuse", headers=people.auth("receiver")
            ).json()
            [marriage] = [n for n in plan["needed"] if n["paper_type"] == "marriage_certificate"]
            [candidate] = marriage["candidates"]
            assert candidate["usable"] is False
            assert candidate["reasons"] == ["signature not verifiable (NO_CERTIFICATE_CHAIN_FOUND)"]
            r = api.post(
                f"/api/v1/dossiers/{dossier_id}/documents",
                json={"document_id": copy_id},
                headers=people.auth("receiver"),
            )
            assert r.status_code == 409, r.text


def _self_signed_root() -> bytes:
    return self_signed_certificate("Somebody else's root", ca=True)[1]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_when_the_verifier_cannot_judge_attach_fails_closed_and_refusals_stand(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, citizen = _owner(api, people)
    forged = _forged_copy(api, people, owner_id)
    # Other bytes each, the same broken signature.
    stored = [
        _stored_by_citizen(api, owner_id, citizen, forged + b"\n%" + bytes([65 + n]))
        for n in range(2)
    ]
    judged, unjudged = stored
    dossier_id = _dossier(api, people, owner_id, 4)
    # The first is judged (and refused) while the verifier works...
    with vault.uows() as uow:
        document = uow.documents.get(uuid.UUID(judged["id"]))
        assert document is not None
        check = vault.signatures.check(uow, document)
        assert check is not None and check.status is SignatureStatus.INVALID
        uow.commit()
    # ...then it stops: a stale or fresh refusal still refuses; what was never judged
    # cannot be attached until it is (503, try later), and nothing is attached meanwhile.
    api.app.state.verifier.close()  # type: ignore[attr-defined]
    attach = f"/api/v1/dossiers/{dossier_id}/documents"
    refused = api.post(attach, json={"document_id": judged["id"]}, headers=people.auth("receiver"))
    assert refused.status_code == 409, refused.text
    later = api.post(attach, json={"document_id": unjudged["id"]}, headers=people.auth("receiver"))
    assert later.status_code == 503, later.text
    assert later.headers["Retry-After"] == "5"
    assert later.headers["content-type"].startswith("application/problem+json")
    assert api.get(attach, headers=people.auth("receiver")).json() == []


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_tampered_scan_uploaded_into_a_dossier_is_refused_and_nothing_stays(
    api: TestClient, people: People, vault: Vault, backend: Backend
) -> None:
    owner_id, _ = _owner(api, people)
    forged = _forged_copy(api, people, owner_id)
    dossier_id = _dossier(api, people, owner_id, 5)
    objects_before = {o.key for o in backend.store.list()}
    r = api.post(
        f"/api/v1/owners/{owner_id}/documents",
        data={
            "paper_type": "marriage_certificate",
            "title": "Giấy chứng nhận kết hôn",
            "origin": "digitised",
            "dossier_id": dossier_id,
        },
        files={"file": ("ket-hon.pdf", forged, "application/pdf")},
        headers=people.auth("receiver"),
    )
    assert r.status_code == 409, r.text
    assert "signature invalid (HASH_FAILURE)" in r.json()["detail"]
    assert {o.key for o in backend.store.list()} == objects_before  # no orphan object
    with vault.uows() as uow:
        kept = uow.documents.of_types(uuid.UUID(owner_id), ["marriage_certificate"])
    assert len(kept) == 1  # only the genuine certified copy


@pytest.mark.parametrize("backend", ["postgres+s3"], indirect=True)
def test_two_first_verdicts_on_one_paper_do_not_collide(
    api: TestClient, people: People, vault: Vault
) -> None:
    owner_id, _ = _owner(api, people)
    document_id = uuid.UUID(_certified_copy(api, people, owner_id))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def judge(status: SignatureStatus) -> None:
        try:
            with vault.uows() as uow:
                document = uow.documents.get(document_id)
                assert document is not None
                start.wait(timeout=10)
                vault.signatures.record(uow, document, SignatureVerdict(status, None, None))
                time.sleep(0.2)  # both inserts in flight before either commits
                uow.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=judge, args=(status,))
        for status in (SignatureStatus.VALID, SignatureStatus.INDETERMINATE)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []  # no duplicate-key error: the later verdict replaces the first
    with vault.uows() as uow:
        recorded = uow.signature_checks.latest([document_id])[document_id]
    assert recorded.status in (SignatureStatus.VALID, SignatureStatus.INDETERMINATE)


def _timestamped_only(pki: DevPki) -> bytes:
    """A PDF sealed by nothing but an RFC 3161 document timestamp (the development TSA)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
    from pyhanko.sign.timestamps import HTTPTimeStamper

    from tests.factories import pdf_bytes

    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes()))
    PdfTimeStamper(HTTPTimeStamper(pki.tsa_url)).timestamp_pdf(writer, "sha256", output=out)
    return out.getvalue()


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_paper_sealed_only_by_a_document_timestamp_is_judged_too(
    api: TestClient, people: People, pki: DevPki
) -> None:
    owner_id, citizen = _owner(api, people)
    stamped = _timestamped_only(pki)
    forged = stamped.replace(b"/Creator(PDFium)", b"/Creator(PDFiuX)", 1)  # same length
    assert forged != stamped
    bad = _stored_by_citizen(api, owner_id, citizen, forged)
    assert bad["has_signature"] is True
    dossier_id = _dossier(api, people, owner_id, 6)
    r = api.post(
        f"/api/v1/dossiers/{dossier_id}/documents",
        json={"document_id": bad["id"]},
        headers=people.auth("receiver"),
    )
    assert r.status_code == 409, r.text
    assert "signature invalid" in r.json()["detail"]


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
def test_a_verifier_that_cannot_finish_gives_no_verdict_but_a_retry(
    vault: Vault, people: People, signing: VaultSigning, pki: DevPki
) -> None:
    app = signing_app(vault, signing)
    trust = TrustSettings(roots=(pki.root.public_bytes(Encoding.DER),))
    # A time limit no verification meets: the pool answers TIME_LIMIT_EXCEEDED, which says
    # nothing about the paper.
    with Verifier(trust, time_limit=0.001) as verifier:
        app.state.verifier = verifier
        with TestClient(app) as api:
            owner_id, _ = _owner(api, people)
            copy_id = _certified_copy(api, people, owner_id)
            dossier_id = _dossier(api, people, owner_id, 7)
            r = api.post(
                f"/api/v1/dossiers/{dossier_id}/documents",
                json={"document_id": copy_id},
                headers=people.auth("receiver"),
            )
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "5"
    with vault.uows() as uow:
        assert uow.signature_checks.latest([uuid.UUID(copy_id)]) == {}  # nothing recorded


@pytest.mark.parametrize("backend", ["sqlite+folder"], indirect=True)
@pytest.mark.parametrize(
    ("prepare", "change", "number"),
    [
        pytest.param(
            pdfs.result_document,
            lambda pdf: pdfs.add_free_text_annotation(pdf, rect=(400, 20, 580, 60)),
            8,
            id="comment-in-the-margin",
        ),
        pytest.param(corpus.form_document, corpus.fill_form, 9, id="empty-field-filled"),
    ],
)
def test_a_paper_valid_only_with_changes_after_signing_is_not_reused(
    api: TestClient,
    people: People,
    vault: Vault,
    pki: DevPki,
    prepare: Callable[[], bytes],
    change: Callable[[bytes], bytes],
    number: int,
) -> None:
    owner_id, citizen = _owner(api, people)
    good_id = _certified_copy(api, people, owner_id)
    # Signed (B-LT), then changed by the citizen's viewer: a comment over no signed text, or
    # an empty field filled in. The verifier's default (reference) policy passes both with
    # warnings, as EU DSS does; reuse must not hand them on silently.
    changed = change(LocalSigner(pki).sign(prepare(), lt=True))
    app: Any = api.app
    report = app.state.verifier.verify(changed)
    assert report.bottom_line is Indication.TOTAL_PASSED, report.summary
    assert report.signatures[0].warnings
    signer = report.signatures[0].signer
    assert verdict_of(report) == SignatureVerdict(
        SignatureStatus.VALID, CHANGED_AFTER_SIGNING, signer.common_name if signer else None
    )
    # The same bytes unchanged are reusable: only the change is refused.
    assert verdict_of(app.state.verifier.verify(LocalSigner(pki).sign(prepare(), lt=True))) == (
        SignatureVerdict(SignatureStatus.VALID, None, signer.common_name if signer else None)
    )

    stored = _stored_by_citizen(
        api, owner_id, citizen, changed, title="Giấy chứng nhận kết hôn (đã sửa sau khi ký)"
    )
    assert stored["has_signature"] is True
    dossier_id = _dossier(api, people, owner_id, number)
    plan = api.get(f"/api/v1/dossiers/{dossier_id}/reuse", headers=people.auth("receiver"))
    assert plan.status_code == 200, plan.text
    [marriage] = [n for n in plan.json()["needed"] if n["paper_type"] == "marriage_certificate"]
    by_id = {c["document"]["id"]: c for c in marriage["candidates"]}
    assert by_id[good_id]["usable"] is True
    refused = by_id[stored["id"]]
    assert refused["usable"] is False
    assert [r["code"] for r in refused["refusals"]] == ["signature_changed_after_signing"]
    assert "changes made after signing" in refused["reasons"][0]
    with vault.uows() as uow:
        check = uow.signature_checks.latest([uuid.UUID(stored["id"])])[uuid.UUID(stored["id"])]
        document = uow.documents.get(uuid.UUID(stored["id"]))
    assert (check.status, check.detail) == (SignatureStatus.VALID, CHANGED_AFTER_SIGNING)
    # The console's warehouse says so too, not a plain "valid".
    assert document is not None and badge(document, check) == "changed"

    attach = f"/api/v1/dossiers/{dossier_id}/documents"
    r = api.post(attach, json={"document_id": stored["id"]}, headers=people.auth("receiver"))
    assert r.status_code == 409, r.text
    assert "changes made after signing" in r.json()["detail"]
