"""The lists the screens show: 和暦 eras, life events, sexes, 続柄, certificate kinds.

One source for the server and every screen (kiosk/static loads them once at start instead of
keeping copies): the eras come from ``forms.wareki``, the codes from ``contracts``; the labels
are here. Reference data only: no tenant and no personal data, so the route is public like the
JSON Schemas beside it (an unpaired tablet and a logged-out staff screen can read it).
"""

from __future__ import annotations

import datetime as dt
from typing import Final, get_args

from pydantic import BaseModel, Field

from contracts.visit import Certificate, SexCode
from forms.wareki import ERAS, FIRST_DAY, era_end

LISTS_ID: Final = "madoguchi.lists/1"

Labels = dict[str, str]  # language tag (ja, en, zh-Hans, ko, vi, pt) → label; ja and en always

# In the order the screens offer them; the codes are contracts.visit.EVENTS (a test checks).
EVENT_LABELS: Final[dict[str, Labels]] = {
    "moving-in": {
        "ja": "転入",
        "en": "Moving in",
        "zh-Hans": "迁入",
        "ko": "전입",
        "vi": "Chuyển đến",
        "pt": "Mudança para a cidade",
    },
    "moving-within": {
        "ja": "転居",
        "en": "Moving within the city",
        "zh-Hans": "市内迁居",
        "ko": "전거",
        "vi": "Chuyển nhà trong thành phố",
        "pt": "Mudança dentro da cidade",
    },
    "moving-out": {
        "ja": "転出",
        "en": "Moving out",
        "zh-Hans": "迁出",
        "ko": "전출",
        "vi": "Chuyển đi",
        "pt": "Mudança para fora",
    },
    "birth": {"ja": "出生", "en": "Birth"},
    "death": {"ja": "死亡", "en": "Death"},
    "marriage": {"ja": "婚姻", "en": "Marriage"},
    "divorce": {"ja": "離婚", "en": "Divorce"},
    "household-change": {"ja": "世帯変更", "en": "Household change"},
    "certificate": {"ja": "証明書", "en": "Certificates"},
}
SEX_LABELS: Final[dict[str, Labels]] = {
    "1": {"ja": "男", "en": "Male", "zh-Hans": "男", "ko": "남", "vi": "Nam", "pt": "Masculino"},
    "2": {"ja": "女", "en": "Female", "zh-Hans": "女", "ko": "여", "vi": "Nữ", "pt": "Feminino"},
    "9": {"ja": "適用不能", "en": "Not applicable"},
}
CERTIFICATE_LABELS: Final[dict[str, Labels]] = {
    "residence": {
        "ja": "住民票の写し",
        "en": "Certificate of residence",
        "zh-Hans": "住民票副本",
        "ko": "주민표 사본",
        "vi": "Bản sao phiếu cư trú",
        "pt": "Cópia do atestado de residência",
    },
    "tax": {
        "ja": "所得・課税証明書",
        "en": "Income and tax certificate",
        "zh-Hans": "所得・课税证明书",
        "ko": "소득・과세 증명서",
        "vi": "Giấy chứng nhận thu nhập và thuế",
        "pt": "Certidão de renda e impostos",
    },
    "seal": {"ja": "印鑑登録証明書", "en": "Seal registration certificate"},
    "residence_removed": {"ja": "住民票の除票の写し", "en": "Certificate of former residence"},
    "family_register_attachment": {
        "ja": "戸籍の附票の写し",
        "en": "Copy of the family register's address record",
    },
}
TAX_KIND_LABELS: Final[dict[str, Labels]] = {
    "income": {"ja": "所得証明書", "en": "Income certificate"},
    "taxation": {"ja": "課税証明書", "en": "Taxation certificate"},
    "income_taxation": {"ja": "所得課税証明書", "en": "Income and taxation certificate"},
}
# 続柄 offered as suggestions; the field stays free text (the record takes any 続柄).
RELATIONSHIPS: Final = ("世帯主", "妻", "夫", "子", "父", "母", "同居人")


class EraItem(BaseModel):
    name: str = Field(description="令和")
    letter: str = Field(description="R, as typed in R8.12.3")
    start: dt.date = Field(description="the era's first day")
    end: dt.date | None = Field(description="its last day; null for the current era")


class Choice(BaseModel):
    code: str = Field(description="the value the API takes")
    labels: Labels = Field(description="language tag → label; ja and en always present")


class Lists(BaseModel):
    schema_: str = Field(default=LISTS_ID, alias="schema")
    eras: list[EraItem] = Field(description="newest first, as forms/wareki.py")
    first_day: dt.date = Field(description="the earliest date the screens and forms accept")
    events: list[Choice]
    sexes: list[Choice]
    relationships: list[str]
    certificate_kinds: list[Choice]
    tax_kinds: list[Choice]


def _choices(codes: tuple[str, ...], labels: dict[str, Labels]) -> list[Choice]:
    return [Choice(code=code, labels=labels[code]) for code in codes]


def _literal_codes(model: type[BaseModel], field: str) -> tuple[str, ...]:
    """The codes of an optional ``Literal`` field of a contract model, in declared order."""
    annotation = model.model_fields[field].annotation
    literal = next(arg for arg in get_args(annotation) if arg is not type(None))
    return get_args(literal)


def published_lists() -> Lists:
    return Lists(
        eras=[EraItem(name=e.name, letter=e.letter, start=e.start, end=era_end(e)) for e in ERAS],
        first_day=FIRST_DAY,
        events=_choices(tuple(EVENT_LABELS), EVENT_LABELS),  # the screens' order
        sexes=_choices(get_args(SexCode), SEX_LABELS),
        relationships=list(RELATIONSHIPS),
        certificate_kinds=_choices(
            get_args(Certificate.model_fields["kind"].annotation), CERTIFICATE_LABELS
        ),
        tax_kinds=_choices(_literal_codes(Certificate, "tax_kind"), TAX_KIND_LABELS),
    )
