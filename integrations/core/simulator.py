"""A core 住民記録 system simulator: an HTTP service with synthetic residents only.

For the demo (``make run``) and tests; speaks the API of ``integrations.core.http``.
Faults for tests and rehearsals: ``POST /_control`` with {"delay_seconds": 5} (slow answers)
or {"down": true} (HTTP 503). Every person here is fictional (demo municipality 991007).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from contracts.addresses import same_address
from integrations.core.models import (
    CoreBenefits,
    CoreResident,
    HouseholdEntry,
    MovingOutCertificate,
)

DEMO_ADDRESS = "窓口デモ市本町一丁目２番３号"
DEMO_DOMICILE = "窓口デモ市本町一丁目２番地"
SHIMIN_ADDRESS = "窓口デモ市南町三丁目４番５号"
DOMICILES = {
    "H0001": DEMO_DOMICILE,
    "H0002": "窓口デモ市北町５番地",
    "H0003": "窓口県海辺市港町７番地",
}


def _entry(name: str, kana: str, born: str, sex: str, rel: str, code: str) -> HouseholdEntry:
    return HouseholdEntry(
        name=name,
        kana=kana,
        birth_date=dt.date.fromisoformat(born),
        sex=sex,
        relationship=rel,
        resident_code=code,
    )


_MADOGUCHI_HOUSEHOLD = [
    _entry("窓口　太郎", "マドグチ　タロウ", "1985-04-01", "1", "世帯主", "99100700011"),
    _entry("窓口　花子", "マドグチ　ハナコ", "1987-08-15", "2", "妻", "99100700022"),
    _entry("窓口　一郎", "マドグチ　イチロウ", "2015-06-10", "1", "子", "99100700033"),
]
# Three generations: a grandmother on 国保 with a 介護認定, parents on 社保, two children.
_SHIMIN_HOUSEHOLD = [
    _entry("市民　健一", "シミン　ケンイチ", "1978-09-09", "1", "世帯主", "99100700066"),
    _entry("市民　洋子", "シミン　ヨウコ", "1980-03-03", "2", "妻", "99100700077"),
    _entry("市民　さくら", "シミン　サクラ", "2012-04-04", "2", "子", "99100700088"),
    _entry("市民　大地", "シミン　ダイチ", "2019-11-11", "1", "子", "99100700099"),
    _entry("市民　トメ", "シミン　トメ", "1940-01-15", "2", "母", "99100700101"),
]
_YOSHIDA_HOUSEHOLD = [
    # 𠮷 (U+20BB7) and 髙 are outside JIS X 0208: the CSV hand-off must flag them.
    _entry("𠮷田　髙子", "ヨシダ　タカコ", "1950-02-28", "2", "世帯主", "99100700044"),
]


def _resident(
    entry: HouseholdEntry, household: list[HouseholdEntry], hid: str, address: str
) -> CoreResident:
    head = household[0]
    assert entry.resident_code is not None and entry.birth_date is not None
    return CoreResident(
        resident_code=entry.resident_code,
        name=entry.name,
        kana=entry.kana,
        birth_date=entry.birth_date,
        sex=entry.sex,
        address=address,
        household_id=hid,
        household_head=head.name,
        relationship=entry.relationship,
        domicile=DOMICILES[hid],
        domicile_head=head.name,
        household=household,
    )


RESIDENTS: list[CoreResident] = [
    *(_resident(e, _MADOGUCHI_HOUSEHOLD, "H0001", DEMO_ADDRESS) for e in _MADOGUCHI_HOUSEHOLD),
    *(
        _resident(e, _YOSHIDA_HOUSEHOLD, "H0002", "窓口デモ市北町五丁目６番７号")
        for e in _YOSHIDA_HOUSEHOLD
    ),
    *(_resident(e, _SHIMIN_HOUSEHOLD, "H0003", SHIMIN_ADDRESS) for e in _SHIMIN_HOUSEHOLD),
]

# Someone who filed a 転出届 online (マイナポータル) at a fictional former municipality and now
# comes to 窓口デモ市 for the 特例転入.
MOVING_OUT: dict[str, MovingOutCertificate] = {
    "99100800055": MovingOutCertificate(
        resident_code="99100800055",
        name="転居　三郎",
        kana="テンキョ　サブロウ",
        birth_date=dt.date(1990, 12, 24),
        sex="1",
        from_municipality_code="991015",
        from_municipality="転出デモ町",
        previous_address="転出デモ町中央１－１－１",
        planned_address=DEMO_ADDRESS.replace("２番３号", "９番１０号"),
        planned_date=dt.date(2026, 11, 20),
        household_head="転居　三郎",
        relationship="世帯主",
        domicile="転出デモ町中央１番地",
        domicile_head="転居　三郎",
        members=[
            _entry("転居　三郎", "テンキョ　サブロウ", "1990-12-24", "1", "世帯主", "99100800055"),
            _entry("転居　由美", "テンキョ　ユミ", "1992-05-05", "2", "妻", "99100800066"),
        ],
        issued_on=dt.date(2026, 11, 10),
    )
}


# What the demo municipality's records say (国保, 介護認定, 障害者手帳, 児童手当).
BENEFITS: dict[str, CoreBenefits] = {
    "99100700011": CoreBenefits(
        resident_code="99100700011",
        national_health=False,
        care_certified=False,
        disability_certificate=False,
        child_allowance_recipient=True,
    ),
    "99100700022": CoreBenefits(
        resident_code="99100700022",
        national_health=False,
        care_certified=False,
        disability_certificate=False,
        child_allowance_recipient=False,
    ),
    "99100700033": CoreBenefits(resident_code="99100700033", national_health=False),
    "99100700066": CoreBenefits(
        resident_code="99100700066", national_health=False, child_allowance_recipient=True
    ),
    "99100700101": CoreBenefits(
        resident_code="99100700101",
        national_health=True,
        care_certified=True,
        disability_certificate=False,
    ),
    "99100700044": CoreBenefits(
        resident_code="99100700044",
        national_health=False,
        care_certified=True,
        disability_certificate=True,
        child_allowance_recipient=False,
    ),
}


def _same_name(a: str, b: str) -> bool:
    """Exact, code point for code point, ignoring only spaces (ASCII or U+3000) between parts:
    a register name is never normalised (吉 is not 𠮷)."""
    return a.replace("\u3000", "").replace(" ", "") == b.replace("\u3000", "").replace(" ", "")


def search(
    name: str, birth_date: str, address: str, match_address: bool = True
) -> list[CoreResident]:
    """Name and birth date exactly; the address however it was typed (a card's
    ``本町１－２－３`` is the record's ``本町一丁目２番３号``), compared as the counter compares;
    with ``match_address`` false, not at all (the counter compares it itself)."""
    return [
        r
        for r in RESIDENTS
        if _same_name(r.name, name)
        and r.birth_date.isoformat() == birth_date
        and (not match_address or same_address(r.address, address))
    ]


def search_moving_out(name: str, birth_date: str) -> list[MovingOutCertificate]:
    """The 転出証明書情報 sent ahead (転入予約) for this name and birth date."""
    return [
        c
        for c in MOVING_OUT.values()
        if _same_name(c.name, name) and c.birth_date.isoformat() == birth_date
    ]


class SimulatorState:
    def __init__(self) -> None:
        self.delay_seconds = 0.0
        self.down = False
        self.requests = 0


class _Handler(BaseHTTPRequestHandler):
    server: CoreSimulatorServer
    protocol_version = "HTTP/1.1"
    # One write per response and no Nagle: otherwise delayed ACKs add ~40 ms per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests carry personal data in the path: do not log them

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("content-type", "application/json; charset=utf-8")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b"{}"
        value = json.loads(raw or b"{}")
        return value if isinstance(value, dict) else {}

    def _faults(self) -> bool:
        state = self.server.state
        state.requests += 1
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        if state.down:
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "maintenance"})
            return True
        return False

    def do_GET(self) -> None:
        if self._faults():
            return
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        if parts[:2] == ["v1", "residents"] and len(parts) == 3:
            found = [r for r in RESIDENTS if r.resident_code == parts[2]]
            if found:
                self._send(200, found[0].model_dump(mode="json"))
                return
        elif parts[:2] == ["v1", "residents"] and parts[3:] == ["benefits"]:
            benefits = BENEFITS.get(parts[2])
            if benefits:
                self._send(200, benefits.model_dump(mode="json"))
                return
        elif parts[:2] == ["v1", "residents"] and parts[3:] == ["moving-out-certificate"]:
            certificate = MOVING_OUT.get(parts[2])
            if certificate:
                self._send(200, certificate.model_dump(mode="json"))
                return
        elif parts == ["healthz"]:
            self._send(200, {"status": "ok"})
            return
        self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        if self.path == "/_control":
            body = self._body()
            self.server.state.delay_seconds = float(body.get("delay_seconds", 0))
            self.server.state.down = bool(body.get("down", False))
            self._send(
                200,
                {"delay_seconds": self.server.state.delay_seconds, "down": self.server.state.down},
            )
            return
        if self._faults():
            return
        if self.path == "/v1/residents/search":
            body = self._body()
            found = search(
                str(body.get("name") or ""),
                str(body.get("birth_date") or ""),
                str(body.get("address") or ""),
                body.get("match_address") is not False,
            )
            self._send(200, {"residents": [r.model_dump(mode="json") for r in found]})
            return
        if self.path == "/v1/moving-out-certificates/search":
            body = self._body()
            certificates = search_moving_out(
                str(body.get("name") or ""), str(body.get("birth_date") or "")
            )
            self._send(200, {"certificates": [c.model_dump(mode="json") for c in certificates]})
            return
        self._send(404, {"error": "not found"})


class CoreSimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.state = SimulatorState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> CoreSimulatorServer:
    server = CoreSimulatorServer(host, port)
    threading.Thread(target=server.serve_forever, name="core-simulator", daemon=True).start()
    return server
