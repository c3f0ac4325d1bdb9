"""A stand-in for another province's vault: reuse look-ups and document downloads.

`documents` maps a document id to (paper type, bytes); a look-up answers every document of
the asked types, and refuses (as "not needed") the asked types in `refused_types`. `lookups`
records each look-up once by its idempotency key. A download is a POST naming the purpose
(the same body as the look-up).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.standins.server import Answer, Fault, Received, StandIn, chunks

CANDIDATES_PATH = "/federation/reuse-candidates"
DOCUMENTS_PATH = "/federation/documents/"


class PeerVaultStandIn(StandIn):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.documents: dict[str, tuple[str, bytes]] = {}
        self.lookups: dict[str, dict[str, Any]] = {}  # by idempotency key
        self.refused_types: set[str] = {"land_use_right_certificate"}

    def add_document(self, document_id: str, paper_type: str, data: bytes) -> None:
        with self.lock:
            self.documents[document_id] = (paper_type, data)

    def handle(self, request: Received, fault: Fault | None) -> Answer:
        if request.method == "POST" and request.path == CANDIDATES_PATH:
            return self._candidates(request)
        if request.method in ("GET", "POST") and request.path.startswith(DOCUMENTS_PATH):
            return self._document(request.path.removeprefix(DOCUMENTS_PATH))
        return Answer.json(404, {"title": "Not Found", "status": 404})

    def _candidates(self, request: Received) -> Answer:
        try:
            asked = json.loads(request.body)
            types = set(asked["paper_types"])
        except (ValueError, KeyError, TypeError):
            return Answer.json(400, {"title": "Malformed look-up", "status": 400})
        with self.lock:
            self.lookups.setdefault(request.headers.get("idempotency-key", ""), asked)
            found = [
                {
                    "document_id": document_id,
                    "paper_type": paper_type,
                    "title": f"Bản điện tử {paper_type}",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size": len(data),
                    "media_type": "application/pdf",
                    "issued_on": "2024-05-01",
                }
                for document_id, (paper_type, data) in self.documents.items()
                if paper_type in types and paper_type not in self.refused_types
            ]
            refused = [
                {"paper_type": t, "code": "not_needed", "text": "the procedure does not need it"}
                for t in sorted(types & self.refused_types)
            ]
        return Answer.json(200, {"candidates": found, "refused": refused})

    def _document(self, document_id: str) -> Answer:
        with self.lock:
            found = self.documents.get(document_id)
        if found is None:
            return Answer.json(404, {"title": "Not Found", "status": 404})
        data = found[1]
        return Answer(
            200, chunks(data, 64 * 1024), {"Content-Type": "application/pdf"}, length=len(data)
        )
