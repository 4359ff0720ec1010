"""``madoguchi card ...``: list readers, read a card, run the emulator.

Exit codes of ``card read`` (the contract operators and tests rely on): 0 read and verified ·
10 no PC/SC service or no reader · 11 no card within the timeout · 12 not a My Number Card ·
13 wrong PIN · 14 PIN blocked · 15 refused, one try left · 16 card removed or communication
error · 17 data malformed or integrity check failed.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

import typer

from hardware.card.errors import CardError, NoReader

EXIT_OK = 0


def _print_json(body: Any) -> None:
    typer.echo(json.dumps(body, ensure_ascii=False))


def _fail(error: CardError, json_output: bool) -> typer.Exit:
    if json_output:
        _print_json(error.to_body())
    else:
        typer.echo(f"エラー [{error.code}]: {error.message}", err=True)
    return typer.Exit(error.exit_code)


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    return getpass.getpass("暗証番号（券面事項入力補助用・4桁）: ", stream=sys.stderr).strip()


def readers_command(json_output: bool) -> None:
    from hardware.card.pcsc import list_readers

    try:
        readers = list_readers()
        if not readers:
            raise NoReader()
    except CardError as error:
        raise _fail(error, json_output) from None
    if json_output:
        _print_json([reader.to_json() for reader in readers])
        return
    for reader in readers:
        state = f"カードあり ({reader.atr})" if reader.card_present else "カードなし"
        typer.echo(f"{reader.name}\t{state}")


def read_command(
    *,
    reader: str | None,
    pin_stdin: bool,
    timeout: float,
    allow_last_try: bool,
    with_number: bool,
    json_output: bool,
) -> None:
    from hardware.card.pcsc import PcscContext
    from hardware.card.reader import parse_card_files, read_card_files

    pin = _read_pin(pin_stdin)
    try:
        with PcscContext() as pcsc:
            reader_name = pcsc.wait_for_card(reader, timeout)
            with pcsc.connect(reader_name) as transport:
                files = read_card_files(
                    transport, pin, allow_last_try=allow_last_try, with_number=with_number
                )
        result = parse_card_files(files)  # after the card is unpowered
    except CardError as error:
        raise _fail(error, json_output) from None
    finally:
        del pin
    if result.unusual_characters:
        typer.echo(
            "注意: 通常と異なる文字 (外字の可能性) が含まれています。券面と照合してください: "
            + " ".join(result.unusual_characters),
            err=True,
        )
    if json_output:
        _print_json(result.to_json(with_number=with_number))
        return
    typer.echo(f"氏名: {result.name}")
    typer.echo(f"住所: {result.address}")
    typer.echo(f"生年月日: {result.birth_date.isoformat()}")
    typer.echo(f"性別: {result.sex_label} ({result.sex})")
    typer.echo("完全性: 検証済み (verified)")
    if with_number:
        typer.echo(f"個人番号: {result.masked_number} (表示しません。--json で取得)")


def emulate_command(profile: Path, host: str, port: int) -> None:
    from hardware.card.emulator import EmulatedCard, VpcdEmulator, load_profile

    try:
        card = EmulatedCard(load_profile(profile))
    except (OSError, ValueError) as exc:
        typer.echo(f"プロファイルを読み込めません: {exc}", err=True)
        raise typer.Exit(2) from None
    emulator = VpcdEmulator(card, host, port)
    typer.echo(
        f"仮想マイナンバーカード ({profile.name}) を vpcd {host}:{port} に接続します。"
        " Ctrl-C で停止 (カードを抜く)。",
        err=True,
    )
    try:
        emulator.run()
    except KeyboardInterrupt:
        emulator.stop_event.set()


def register(app: typer.Typer) -> None:
    card_app = typer.Typer(
        help="マイナンバーカードの読み取り (PC/SC) / My Number Card over PC/SC.",
        no_args_is_help=True,
    )
    app.add_typer(card_app, name="card")

    @card_app.command("readers")
    def readers(
        json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """List the PC/SC readers and whether a card is present."""
        readers_command(json_output)

    @card_app.command("read")
    def read(
        reader: str | None = typer.Option(None, "--reader", help="Reader name substring."),
        pin_stdin: bool = typer.Option(False, "--pin-stdin", help="Read the PIN from stdin."),
        timeout: float = typer.Option(10.0, "--timeout", help="Seconds to wait for a card."),
        allow_last_try: bool = typer.Option(
            False, "--allow-last-try", help="Send the PIN even with one try left."
        ),
        with_number: bool = typer.Option(
            False, "--with-number", help="Also read the 個人番号 (only where the law allows)."
        ),
        json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Read the basic four details (氏名・住所・生年月日・性別) with the 4-digit PIN."""
        read_command(
            reader=reader,
            pin_stdin=pin_stdin,
            timeout=timeout,
            allow_last_try=allow_last_try,
            with_number=with_number,
            json_output=json_output,
        )

    @card_app.command("emulate")
    def emulate(
        profile: Path = typer.Option(..., "--profile", help="YAML/JSON card profile."),
        port: int = typer.Option(35963, "--port", help="vpcd port (35963 = first slot)."),
        host: str = typer.Option("127.0.0.1", "--host", help="vpcd host."),
    ) -> None:
        """Plug a virtual My Number Card into pcscd's vpcd reader until Ctrl-C."""
        emulate_command(profile, host, port)
