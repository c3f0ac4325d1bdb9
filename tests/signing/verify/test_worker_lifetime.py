"""A verification worker outlives the thread that happened to start it."""

from __future__ import annotations

import threading
import time

from signing.verify import TrustSettings, Verifier
from tests.factories import signed_pdf_bytes, signer_certificate


def test_a_worker_survives_the_request_thread_that_started_it() -> None:
    pdf = signed_pdf_bytes()
    with Verifier(TrustSettings(roots=(signer_certificate(),)), workers=1) as verifier:
        first: list[bool] = []
        # A server's request thread: it verifies once (starting the worker), then retires.
        thread = threading.Thread(target=lambda: first.append(verifier.verify(pdf).passed))
        thread.start()
        thread.join()
        assert first == [True]
        time.sleep(0.5)  # a parent-death signal, had it been tied to that thread, has fired
        (worker,) = verifier._all
        assert worker.alive(), "the worker died with the thread that started it"
        pid = worker.process.pid
        assert verifier.verify(pdf).passed
        (again,) = verifier._all
        assert again.process.pid == pid  # the same worker, not a replacement
