"""QR codes as PNG images (segno: pure Python, no system library)."""

from __future__ import annotations

import io

import segno


def qr_png(data: str, *, scale: int = 8, border: int = 2) -> bytes:
    """A PNG of ``data`` (a check-in code, an invitation link), error correction M."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()
