"""The demo's receipt printer: the ESC/POS emulator on loopback, previews under var/printer."""

from __future__ import annotations

import threading

from backend.platform.settings import get_settings
from hardware.printer.emulator import start_emulator

DEMO_PRINTER_PORT = 9100
demo_printer_url = f"tcp://127.0.0.1:{DEMO_PRINTER_PORT}"


def start_demo(stop: threading.Event) -> str:
    global demo_printer_url
    out_dir = get_settings().data_dir / "printer"
    try:
        emulator = start_emulator(port=DEMO_PRINTER_PORT, out_dir=out_dir)
    except OSError:  # 9100 taken (a real printer daemon?): any free port will do for the demo
        emulator = start_emulator(port=0, out_dir=out_dir)
    demo_printer_url = f"tcp://127.0.0.1:{emulator.port}"
    settings = get_settings()
    if not settings.ticket_printer_url:  # the demo's ticket machine prints on the emulator
        settings.ticket_printer_url = demo_printer_url

    def stop_when_asked() -> None:
        stop.wait()
        emulator.stop()

    threading.Thread(target=stop_when_asked, name="printer-demo-stop").start()  # joined at exit
    return f"模擬プリンタ / Emulated printer   {demo_printer_url}  (previews: {out_dir}/)"
