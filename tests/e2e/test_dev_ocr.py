"""`invoicescan dev` and OCR: an OCR worker on the `ocr` queue where Tesseract is usable, else
one line saying OCR is off and why, and no OCR worker."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_dev_command import dev_environment, start_dev, stop_dev
from tests.support.services import free_port, wait_for_log_line


def test_dev_starts_an_ocr_worker(tmp_path: Path) -> None:
    env, _, _ = dev_environment(tmp_path / "data")
    log = tmp_path / "dev.log"
    dev = start_dev(env, free_port(), log)
    try:
        wait_for_log_line(log, "ocr-dev@", dev, 60)  # the OCR worker's banner names its node
        wait_for_log_line(log, ".> ocr ", dev, 60)  # ... and its one queue
        assert "OCR is off" not in log.read_text()
    finally:
        assert stop_dev(dev) == 0


def test_dev_without_tesseract_models_says_once_that_ocr_is_off(tmp_path: Path) -> None:
    env, _, _ = dev_environment(tmp_path / "data")
    empty = tmp_path / "tessdata"
    empty.mkdir()
    env["TESSDATA_PREFIX"] = str(empty)
    log = tmp_path / "dev.log"
    dev = start_dev(env, free_port(), log)
    try:
        text = log.read_text()
        [line] = [line for line in text.splitlines() if "OCR is off" in line]
        assert str(empty) in line and "counted unread (errorCount)" in line
        assert "ocr-dev@" not in text
    finally:
        assert stop_dev(dev) == 0
