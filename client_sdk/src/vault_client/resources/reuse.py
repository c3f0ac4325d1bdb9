"""Reuse ("once-only"): which papers a dossier's procedure needs are already on file and
valid, and attaching them instead of asking the citizen again."""

from __future__ import annotations

from typing import Literal

from vault_client._request import Call, IdLike, api, id_of, parse_as
from vault_client.resources._base import AsyncResource, SyncResource
from vault_client.types.dossiers import Attachment, ReusePlan, TakenPaper
from vault_client.types.enums import Reuse


def _plan(dossier: IdLike, peers: bool = True) -> Call[ReusePlan]:
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/reuse")
    params = None if peers else {"peers": "false"}
    return Call("GET", path, parse_as(ReusePlan), params=params, idempotent=True)


def _take(dossier: IdLike, peer: str, document_id: str) -> Call[TakenPaper]:
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/peer-documents")
    body = {"peer": peer, "document_id": document_id}
    # Idempotent: taking the same paper again attaches the copy already taken.
    return Call("POST", path, parse_as(TakenPaper), json=body, idempotent=True)


def _attach(
    dossier: IdLike,
    document: IdLike,
    reused: Reuse | Literal[1, 2],
    replacing_result_code: str | None,
) -> Call[Attachment]:
    flag = Reuse(reused)
    if flag is Reuse.NO:
        raise ValueError("attach reuses a paper: reused is YES or BY_REPLACING_RESULT")
    body: dict[str, str | int] = {
        "document_id": str(id_of(document, "document")),
        "reused": int(flag),
    }
    if replacing_result_code is not None:
        body["replacing_result_code"] = replacing_result_code
    path = api(f"/dossiers/{id_of(dossier, 'dossier')}/documents")
    # Idempotent: attaching again answers the attachment already recorded.
    return Call("POST", path, parse_as(Attachment), json=body, idempotent=True)


class ReuseResource(SyncResource):
    def needed_papers(self, dossier: IdLike, *, peers: bool = True) -> ReusePlan:
        """For each paper the dossier's procedure needs: the candidates on file, whether
        each is usable on the day the dossier was received (valid, not superseded, signature
        checked) and why not, and the action: "attach", or "ask the owner" only when nothing
        usable is on file. Only the receiving agency may ask. With `peers` (the default) the
        vault also asks the peer vaults of other provinces, within a time budget: `remote`
        holds each one's candidates, or that it did not answer."""
        return self._client.execute(_plan(dossier, peers))

    def take_from_peer(self, dossier: IdLike, *, peer: str, document_id: str) -> TakenPaper:
        """Takes a paper a peer vault offers (`RemoteCandidate.peer`, `.document_id`) into
        the owner's warehouse here and attaches it with reused = 1: the peer decides again,
        the paper's digest and signatures are verified here, and the copy keeps where it came
        from (`taken_from`). Taking it again attaches the same copy. ConflictError when the
        peer refuses it or it was altered on the way; ServiceUnavailableError when the peer
        does not answer."""
        return self._client.execute(_take(dossier, peer, document_id))

    def attach(
        self,
        dossier: IdLike,
        document: IdLike,
        *,
        reused: Reuse | Literal[1, 2] = Reuse.YES,
        replacing_result_code: str | None = None,
    ) -> Attachment:
        """Reuses a paper from the owner's warehouse as a component of the dossier (the
        vault records the reuse for the 766 indicators). `reused=Reuse.BY_REPLACING_RESULT`
        with `replacing_result_code` when a result replaces the component. Attaching twice
        answers the attachment already recorded; ConflictError once the dossier is closed."""
        return self._client.execute(_attach(dossier, document, reused, replacing_result_code))


class AsyncReuseResource(AsyncResource):
    async def needed_papers(self, dossier: IdLike, *, peers: bool = True) -> ReusePlan:
        """For each paper the dossier's procedure needs: the candidates on file, whether
        each is usable on the day the dossier was received (valid, not superseded, signature
        checked) and why not, and the action: "attach", or "ask the owner" only when nothing
        usable is on file. Only the receiving agency may ask. With `peers` (the default) the
        vault also asks the peer vaults of other provinces, within a time budget: `remote`
        holds each one's candidates, or that it did not answer."""
        return await self._client.execute(_plan(dossier, peers))

    async def take_from_peer(self, dossier: IdLike, *, peer: str, document_id: str) -> TakenPaper:
        """Takes a paper a peer vault offers (`RemoteCandidate.peer`, `.document_id`) into
        the owner's warehouse here and attaches it with reused = 1: the peer decides again,
        the paper's digest and signatures are verified here, and the copy keeps where it came
        from (`taken_from`). Taking it again attaches the same copy. ConflictError when the
        peer refuses it or it was altered on the way; ServiceUnavailableError when the peer
        does not answer."""
        return await self._client.execute(_take(dossier, peer, document_id))

    async def attach(
        self,
        dossier: IdLike,
        document: IdLike,
        *,
        reused: Reuse | Literal[1, 2] = Reuse.YES,
        replacing_result_code: str | None = None,
    ) -> Attachment:
        """Reuses a paper from the owner's warehouse as a component of the dossier (the
        vault records the reuse for the 766 indicators). `reused=Reuse.BY_REPLACING_RESULT`
        with `replacing_result_code` when a result replaces the component. Attaching twice
        answers the attachment already recorded; ConflictError once the dossier is closed."""
        return await self._client.execute(_attach(dossier, document, reused, replacing_result_code))
