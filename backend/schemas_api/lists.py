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

Labels = dict[str, str]  # language tag (ja, en, zh-Hans, ko, vi, pt) → label; all six (a test)

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
    "birth": {
        "ja": "出生",
        "en": "Birth",
        "zh-Hans": "出生",
        "ko": "출생",
        "vi": "Khai sinh",
        "pt": "Nascimento",
    },
    "death": {
        "ja": "死亡",
        "en": "Death",
        "zh-Hans": "死亡",
        "ko": "사망",
        "vi": "Khai tử",
        "pt": "Óbito",
    },
    "marriage": {
        "ja": "婚姻",
        "en": "Marriage",
        "zh-Hans": "结婚",
        "ko": "혼인",
        "vi": "Kết hôn",
        "pt": "Casamento",
    },
    "divorce": {
        "ja": "離婚",
        "en": "Divorce",
        "zh-Hans": "离婚",
        "ko": "이혼",
        "vi": "Ly hôn",
        "pt": "Divórcio",
    },
    "household-change": {
        "ja": "世帯変更",
        "en": "Household change",
        "zh-Hans": "户主变更",
        "ko": "세대 변경",
        "vi": "Thay đổi hộ gia đình",
        "pt": "Alteração do domicílio",
    },
    "certificate": {
        "ja": "証明書",
        "en": "Certificates",
        "zh-Hans": "证明书",
        "ko": "증명서",
        "vi": "Giấy chứng nhận",
        "pt": "Certidões",
    },
}
SEX_LABELS: Final[dict[str, Labels]] = {
    "1": {"ja": "男", "en": "Male", "zh-Hans": "男", "ko": "남", "vi": "Nam", "pt": "Masculino"},
    "2": {"ja": "女", "en": "Female", "zh-Hans": "女", "ko": "여", "vi": "Nữ", "pt": "Feminino"},
    "9": {
        "ja": "適用不能",
        "en": "Not applicable",
        "zh-Hans": "不适用",
        "ko": "해당 없음",
        "vi": "Không áp dụng",
        "pt": "Não se aplica",
    },
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
    "residence_removed": {
        "ja": "除票の写し",
        "en": "Certificate of removed residence record",
        "zh-Hans": "除票副本",
        "ko": "제표 사본",
        "vi": "Bản sao phiếu cư trú đã xóa",
        "pt": "Cópia do registro de residência cancelado",
    },
    "family_register_attachment": {
        "ja": "戸籍の附票の写し",
        "en": "Family register supplement (address history)",
        "zh-Hans": "户籍附票副本",
        "ko": "호적 부표 사본",
        "vi": "Bản sao phụ lục hộ tịch (lịch sử địa chỉ)",
        "pt": "Cópia do anexo do registro familiar (histórico de endereços)",
    },
    "tax": {
        "ja": "所得・課税証明書",
        "en": "Income and tax certificate",
        "zh-Hans": "所得・课税证明书",
        "ko": "소득・과세 증명서",
        "vi": "Giấy chứng nhận thu nhập và thuế",
        "pt": "Certidão de renda e impostos",
    },
    "seal": {
        "ja": "印鑑登録証明書",
        "en": "Seal registration certificate",
        "zh-Hans": "印章登记证明书",
        "ko": "인감 등록 증명서",
        "vi": "Giấy chứng nhận đăng ký con dấu",
        "pt": "Certidão de registro de carimbo",
    },
}
TAX_KIND_LABELS: Final[dict[str, Labels]] = {
    "income": {
        "ja": "所得証明書",
        "en": "Income certificate",
        "zh-Hans": "所得证明书",
        "ko": "소득 증명서",
        "vi": "Giấy chứng nhận thu nhập",
        "pt": "Certidão de renda",
    },
    "taxation": {
        "ja": "課税証明書",
        "en": "Taxation certificate",
        "zh-Hans": "课税证明书",
        "ko": "과세 증명서",
        "vi": "Giấy chứng nhận thuế",
        "pt": "Certidão de tributação",
    },
    "income_taxation": {
        "ja": "所得課税証明書",
        "en": "Income and taxation certificate",
        "zh-Hans": "所得课税证明书",
        "ko": "소득과세 증명서",
        "vi": "Giấy chứng nhận thu nhập và thuế",
        "pt": "Certidão de renda e tributação",
    },
}
# 続柄 offered as suggestions; the field stays free text (the record takes any 続柄).
RELATIONSHIPS: Final = ("世帯主", "妻", "夫", "子", "父", "母", "同居人")
# The suggestions in the resident's language (the code is the Japanese 続柄 itself; a typed
# 続柄 outside this list is shown as typed).
RELATIONSHIP_LABELS: Final[dict[str, Labels]] = {
    "世帯主": {
        "ja": "世帯主",
        "en": "Head of household",
        "zh-Hans": "户主",
        "ko": "세대주",
        "vi": "Chủ hộ",
        "pt": "Chefe do domicílio",
    },
    "妻": {"ja": "妻", "en": "Wife", "zh-Hans": "妻子", "ko": "처", "vi": "Vợ", "pt": "Esposa"},
    "夫": {
        "ja": "夫",
        "en": "Husband",
        "zh-Hans": "丈夫",
        "ko": "남편",
        "vi": "Chồng",
        "pt": "Marido",
    },
    "子": {
        "ja": "子",
        "en": "Child",
        "zh-Hans": "子女",
        "ko": "자녀",
        "vi": "Con",
        "pt": "Filho(a)",
    },
    "父": {"ja": "父", "en": "Father", "zh-Hans": "父亲", "ko": "부", "vi": "Cha", "pt": "Pai"},
    "母": {"ja": "母", "en": "Mother", "zh-Hans": "母亲", "ko": "모", "vi": "Mẹ", "pt": "Mãe"},
    "同居人": {
        "ja": "同居人",
        "en": "Cohabitant",
        "zh-Hans": "同住人",
        "ko": "동거인",
        "vi": "Người ở cùng",
        "pt": "Coabitante",
    },
}


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
    relationship_labels: list[Choice] = Field(description="the 続柄 suggestions, code = 続柄")
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
        relationship_labels=_choices(RELATIONSHIPS, RELATIONSHIP_LABELS),
        certificate_kinds=_choices(
            get_args(Certificate.model_fields["kind"].annotation), CERTIFICATE_LABELS
        ),
        tax_kinds=_choices(_literal_codes(Certificate, "tax_kind"), TAX_KIND_LABELS),
    )
