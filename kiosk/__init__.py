"""The web screens, served by the backend as static files (no CDN: closed counter networks)."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
