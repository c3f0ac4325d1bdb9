"""The engine binding: Tesseract through pytesseract, settings in its config, several
outputs from one run, and one OpenMP thread from the reading process's own environment."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ocr.engine import TesseractEngine
from ocr.errors import EngineFailure
from ocr.pipeline import OcrOptions, recognise
from tests.ocr import corpus


@pytest.fixture
def recording_tesseract(tmp_path: Path) -> tuple[Path, Path]:
    """A `tesseract` that notes its arguments and OMP_THREAD_LIMIT, then runs the real one."""
    log = tmp_path / "calls.log"
    script = tmp_path / "tesseract"
    script.write_text(
        f'#!/bin/sh\necho "OMP=$OMP_THREAD_LIMIT ARGS=$*" >> {log}\nexec tesseract "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, log


def test_one_run_gives_words_and_the_text_layer(
    recording_tesseract: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = recording_tesseract
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)  # as in a fresh process
    page = corpus.clean(corpus.CERTIFIED_COPY)
    found = TesseractEngine(binary=str(script)).recognise(page.image(), dpi=300, text_layer=True)
    assert "CHỨNG THỰC BẢN SAO" in found.text
    assert found.words and found.text_layer_pdf and found.text_layer_pdf.startswith(b"%PDF")
    (call,) = log.read_text().splitlines()  # one engine run for both outputs
    assert call.startswith("OMP=1 ")  # set in this process's environment, inherited
    args = call.split("ARGS=")[1].split()
    assert args[args.index("--oem") + 1] == "1"
    assert args[args.index("--psm") + 1] == "6"
    assert args[args.index("--dpi") + 1] == "300"
    assert "textonly_pdf=1" in args and "tessedit_create_tsv=1" in args and "pdf" in args
    assert os.environ["OMP_THREAD_LIMIT"] == "1"


def test_orientation_through_the_binding() -> None:
    page = corpus.clean(corpus.BIRTH_CERTIFICATE).image()
    turned = page.rotate(90, expand=True)  # counter-clockwise: needs 90 clockwise
    found = TesseractEngine().detect_orientation(turned, dpi=300)
    assert found is not None and found.rotate == 90


def test_a_missing_binary_is_an_engine_failure() -> None:
    with pytest.raises(EngineFailure):
        TesseractEngine(binary="/nonexistent/tesseract").recognise(
            corpus.clean(corpus.CERTIFIED_COPY).image(), dpi=300
        )


def test_worker_processes_read_with_one_thread(
    recording_tesseract: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages read in worker processes: each sets the limit in its own environment."""
    script, log = recording_tesseract
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    pages = [corpus.clean(corpus.CERTIFIED_COPY), corpus.clean(corpus.BIRTH_CERTIFICATE)]
    data = corpus.multipage_tiff(pages)
    engine = TesseractEngine(binary=str(script))
    result = recognise(data, options=OcrOptions(workers=2, searchable_pdf=False), engine=engine)
    assert len(result.pages) == 2
    calls = log.read_text().splitlines()
    assert len(calls) >= 2 and all(c.startswith("OMP=1 ") for c in calls)
