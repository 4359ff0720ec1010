"""The link and QR code a device opens to pair: ``{public_url}/pair/#code=…``.

The code travels in the fragment, so it never reaches a server log; the /pair/ screen posts it
to ``/api/v1/devices/pair`` and moves on to the device's own screen with its token.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg

from backend.platform.settings import get_settings


def pairing_url(code: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/pair/#code={code}"


def pairing_qr_data_url(code: str) -> str:
    """The pairing link as an SVG QR code, ready for an ``<img src>`` (the CSP allows data:)."""
    image = qrcode.make(pairing_url(code), image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
