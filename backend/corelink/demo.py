"""``make run``: start the core-system simulator where MADOGUCHI_CORE_URL points."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

from backend.corelink.service import core_url


def start_demo(stop: threading.Event) -> str:
    from integrations.core.simulator import CoreSimulatorServer

    parts = urlsplit(core_url())
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost"):
        return f"住民記録（基幹）: {core_url()} (external, not simulated)"
    try:
        server = CoreSimulatorServer(host, port)
    except OSError as exc:
        return f"住民記録シミュレータ: port {port} busy ({exc.strerror}); lookups will fail"
    threading.Thread(target=server.serve_forever, name="core-simulator", daemon=True).start()

    def stop_when_asked() -> None:
        stop.wait()
        server.shutdown()
        server.server_close()

    threading.Thread(target=stop_when_asked, name="core-simulator-stop").start()  # joined at exit
    return f"住民記録シミュレータ / core simulator  {server.url}"
