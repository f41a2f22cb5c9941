"""Where tests find the repository and the read-only shared material beside it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# CI and every checkout keep `shared/` (the API contract, the e-invoice corpora) next to the clone.
SHARED = ROOT.parent / "shared"
XML_RECHNUNG = SHARED / "corpora" / "xml-rechnung"
