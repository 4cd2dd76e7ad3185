"""The security headers on every answer (安全响应头), pages, API and errors alike.

The pages run only the server's own script files: no inline script, no ``eval``, no inline
event handler. What a page needs from the server (its hall, its counter…) comes as a JSON data
block (``<script type="application/json" id="page-data">``), which is not run and so is not
blocked; ``config/static/hall.js`` reads it. A script slipped into a page (a name typed at a
kiosk, a crafted booking) therefore never runs, and the page talks only to this server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from litestar.datastructures import ResponseHeader


def content_security_policy(image_origins: Iterable[str] = ()) -> str:
    """The Content-Security-Policy: this server's scripts, styles, pictures, sounds and sockets only.

    ``image_origins``: other servers pictures may come from (a staff photo in the hall file).
    """
    images = " ".join(["'self'", "data:", "blob:", *sorted(set(image_origins))])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",  # files under /static only
            # style="" attributes remain (a rating level's colour, the roster's grid, small layouts),
            # and Swagger UI's <style>: styles cannot run code, scripts are the guarded part.
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",  # QR codes; charts drawn as blob:; data: icons (Swagger UI, the favicon)
            "media-src 'self'",  # the screen's voice (WAV from this server)
            # The API and the websockets: 'self' covers this server's ws:/wss: (CSP level 3).
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",  # no other site frames a page (a counter page under a lure)
        ]
    )


def photo_origins(photos: Iterable[str]) -> set[str]:
    """The other servers of the staff photos (``https://intranet.example/zhangwei.jpg``); a
    photo on this server (``/static/staff/…``) needs none."""
    origins = set()
    for photo in photos:
        parts = urlsplit(photo)
        # rebuilt from the host alone: no "user:pass@" in every answer, and nothing a hall file
        # writes (a ";" and a directive of its own) reaches the policy
        host = parts.hostname or ""
        if parts.scheme in ("http", "https") and _HOST.fullmatch(host):
            where = f"[{host}]" if ":" in host else host
            origins.add(f"{parts.scheme}://{where}" + (f":{parts.port}" if parts.port else ""))
    return origins


_HOST = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")  # a name or an address (IPv6 without its brackets)


def security_headers(image_origins: Iterable[str] = ()) -> list[ResponseHeader]:
    """On every answer. The ticket's page address is the slip's secret: no Referer carries it
    away; no other site frames a page; no file is run as another type; the CSP above."""
    return [
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(name="Referrer-Policy", value="no-referrer"),
        ResponseHeader(name="X-Frame-Options", value="SAMEORIGIN"),
        ResponseHeader(name="Content-Security-Policy", value=content_security_policy(image_origins)),
    ]
