"""Machine labels: the asset tag, the short fault-report address and its QR code.

The QR code is computed here as plain data (the dark modules as horizontal runs); the template
``equipment/_partials/_label.html`` draws it as inline SVG, so the label needs no image request
and no markup is built in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import segno

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks


@dataclass(frozen=True)
class QrCode:
    """A QR code ready to draw: ``size`` modules per side (quiet zone included), the dark
    modules as runs ``(x, y, length)`` along each row."""

    data: str
    size: int
    runs: tuple[tuple[int, int, int], ...]


@dataclass(frozen=True)
class Label:
    """What one label prints."""

    asset_id: int
    asset_tag: str
    make: str
    model: str
    serial: str | None
    contract_number: str | None
    url: str  # the absolute short-code address the QR code holds
    qr: QrCode


@lru_cache(maxsize=512)
def qr_code(data: str) -> QrCode:
    """Encode ``data`` (error correction M: a label survives some wear) as runs of modules.

    Deterministic: the same address always gives the same code, so codes are remembered."""
    code = segno.make(data, error="m", micro=False)
    runs: list[tuple[int, int, int]] = []
    for y, row in enumerate(code.matrix):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append((start + QUIET_ZONE, y + QUIET_ZONE, x - start))
            else:
                x += 1
    return QrCode(data, len(code.matrix) + 2 * QUIET_ZONE, tuple(runs))


def label_for(asset: Any, *, url: str) -> Label:
    """The label of one asset (an Asset or a register row); ``url``: its short-code address."""
    return Label(
        asset.id,
        asset.asset_tag,
        asset.make,
        asset.model,
        asset.serial,
        getattr(asset, "contract_number", None),
        url,
        qr_code(url),
    )


def labels_for(assets: Iterable[Any], *, url_for_code: Callable[[str], str]) -> list[Label]:
    """Labels for a sheet; ``url_for_code(asset_tag)`` builds each absolute short address."""
    return [label_for(a, url=url_for_code(a.asset_tag)) for a in assets]
