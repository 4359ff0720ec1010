"""Printer errors: a stable code, the CLI exit code, and what the clerk should do (Japanese)."""

from __future__ import annotations


class PrinterError(Exception):
    code = "printer.error"
    exit_code = 23
    message = "プリンターでエラーが発生しました。電源を入れ直してから、もう一度印刷してください。"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(self.message + (f"（{detail}）" if detail else ""))
        self.detail = detail


class PrinterUnreachableError(PrinterError):
    code = "printer.unreachable"
    exit_code = 20
    message = (
        "プリンターにつながりません。電源とケーブル（またはネットワーク）、"
        "設定したプリンターのアドレスを確認してください。"
    )


class PaperOutError(PrinterError):
    code = "printer.paper_out"
    exit_code = 21
    message = "プリンターの用紙がありません。ロール紙を補充してから、もう一度印刷してください。"


class CoverOpenError(PrinterError):
    code = "printer.cover_open"
    exit_code = 22
    message = "プリンターのカバーが開いています。カバーを閉めてから、もう一度印刷してください。"


class PrinterOfflineError(PrinterError):
    code = "printer.offline"
    exit_code = 23
    message = (
        "プリンターがオフラインです。エラーランプを確認し、電源を入れ直してから、"
        "もう一度印刷してください。"
    )


class UnsupportedPrinterUrlError(PrinterError):
    code = "printer.bad_url"
    exit_code = 23
    message = (
        "プリンターのアドレスが正しくありません。tcp://ホスト:9100, usb://VID:PID, "
        "serial:///dev/ttyS0?baudrate=19200, cups://キュー名, file:///パス "
        "のいずれかで指定してください。"
    )


PAPER_NEAR_END_WARNING = "用紙が残りわずかです。早めにロール紙を交換してください。"
