"""Consistency checks: the visit's data against its life event, before it goes to the tablet.

Each check is one short function of a ``CheckContext`` that yields ``Finding`` s; ``RULES`` lists
them in the order the clerk reads them. To add a check, write a function and add it to
``RULES`` (and a row to the table in ``tests/backend/counter/test_consistency.py``).

A ``block`` finding is a contradiction the back office could not process (a 転居 from another
city, a birth in the future, two 世帯主): ``refuse_if_blocked`` refuses to send such a visit to
the tablet, whoever calls the API. A ``warn`` finding (a deadline passed, an age over 120) is
shown to the clerk with what to do next and never blocks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from backend.addresses import service as addresses
from backend.addresses.normalize import fold, same_address, split_municipality
from backend.counter import service as visits
from backend.counter.errors import VisitIncomplete
from backend.counter.models import Visit
from backend.identity.tenants.models import Tenant
from backend.platform.access import Principal
from backend.platform.errors import BadRequest
from contracts import Certificate, Member, VisitRecord
from forms.wareki import fiscal_year_label, to_wareki

MOVES = ("moving-in", "moving-within", "moving-out")
HEAD = "世帯主"


class Severity(StrEnum):
    BLOCK = "block"
    WARN = "warn"


class Finding(BaseModel):
    """One thing the clerk must know about the visit, and what to do about it."""

    code: str = Field(description="stable, for machines and tests")
    severity: Severity
    message: str = Field(description="what is wrong, in Japanese")
    message_en: str
    how_to_proceed: str = Field(description="what the clerk does next, in Japanese")
    how_to_proceed_en: str
    field: str | None = Field(
        default=None, description="record field concerned, e.g. event_date, members.1.birth_date"
    )
    member: int | None = Field(default=None, description="index into the record's members")
    municipality: str | None = Field(
        default=None, description="the other municipality concerned (who issues a certificate)"
    )


class ChecksRead(BaseModel):
    visit_id: str
    blocking: bool = Field(description="true: the visit cannot go to the tablet as it is")
    findings: list[Finding]


class VisitInconsistent(BadRequest):
    code = "visit_inconsistent"
    default_message = (
        "受付の内容に矛盾があります。表示された項目を直してから、もう一度送ってください。"
    )


@dataclass(frozen=True)
class CheckContext:
    record: VisitRecord
    today: dt.date  # in the tenant's time zone
    areas: addresses.AreaList | None = None  # the tenant's imported 町字; None: its file

    def locate(self, address: str) -> addresses.Location:
        tenant = self.record.tenant
        return addresses.locate(tenant.code, tenant.name, address, self.areas)

    @property
    def home(self) -> str:
        return self.record.tenant.name


Rule = Callable[[CheckContext], Iterator[Finding]]


def _finding(
    severity: Severity, code: str, ja: str, en: str, how_ja: str, how_en: str, **where: Any
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        message=ja,
        message_en=en,
        how_to_proceed=how_ja,
        how_to_proceed_en=how_en,
        **where,
    )


def _block(code: str, ja: str, en: str, how_ja: str, how_en: str, **where: Any) -> Finding:
    return _finding(Severity.BLOCK, code, ja, en, how_ja, how_en, **where)


def _warn(code: str, ja: str, en: str, how_ja: str, how_en: str, **where: Any) -> Finding:
    return _finding(Severity.WARN, code, ja, en, how_ja, how_en, **where)


# --- the event against the addresses ----------------------------------------------------


def _movers(record: VisitRecord) -> list[tuple[int, Member]]:
    """The members who move: those marked concerned, or all when nobody is marked."""
    marked = [(i, m) for i, m in enumerate(record.members) if m.concerned]
    return marked or list(enumerate(record.members))


def _addresses_moved_from(record: VisitRecord) -> Iterator[tuple[str, str, int | None]]:
    """(address, field, member) the movers leave: the previous address, and each card's
    address (a card still holds the old address) unless it is the same place."""
    seen: list[str] = []
    if record.previous_address:
        seen.append(record.previous_address)
        yield record.previous_address, "previous_address", None
    for index, member in _movers(record):
        if member.source != "card" or not member.address:
            continue
        if not any(same_address(member.address, s) for s in seen):
            seen.append(member.address)
            yield member.address, f"members.{index}.address", index


def move_starts_on_the_right_side(ctx: CheckContext) -> Iterator[Finding]:
    """転居・転出 start here; 転入 starts in another municipality."""
    if ctx.record.event not in MOVES:
        return
    starts_here = ctx.record.event != "moving-in"
    typed_is_right = False
    for address, field, member in _addresses_moved_from(ctx.record):
        here = ctx.locate(address).here
        if here is None:
            yield _municipality_unknown(field, member)
        elif here == starts_here:
            typed_is_right = typed_is_right or member is None
        elif typed_is_right:  # the previous address checked, the card not updated yet
            yield _card_address_outdated(ctx, address, field, member)
        elif starts_here:
            yield _moving_from_elsewhere(ctx, address, field, member)
        else:
            yield _moving_in_from_here(ctx, field, member)


def _card_address_outdated(
    ctx: CheckContext, address: str, field: str, member: int | None
) -> Finding:
    where = ctx.locate(address).municipality
    return _warn(
        "card_address_outdated",
        f"カードの住所（{where.name if where else '不明'}）が前の住所と違います。"
        "カードの住所変更がまだのようです。",
        "The card's address differs from the previous address: the card was not updated.",
        "前の住所は住民記録で確かめたものを使います。カードの住所変更（券面の追記）も"
        "あわせて案内してください。",
        "Keep the previous address checked against the resident record, and offer to update "
        "the card's address as well.",
        field=field,
        member=member,
        municipality=where.name if where else None,
    )


def _municipality_unknown(field: str, member: int | None) -> Finding:
    return _warn(
        "address_municipality_unknown",
        "前の住所から市区町村が分かりません。",
        "The municipality of the previous address cannot be told.",
        "都道府県・市区町村から入力してください（届書にもそのまま載ります）。",
        "Enter it with its prefecture and municipality (the notice prints it as typed).",
        field=field,
        member=member,
    )


def _moving_in_from_here(ctx: CheckContext, field: str, member: int | None) -> Finding:
    return _block(
        "moving_in_from_this_municipality",
        f"転入届ですが、前の住所がすでに{ctx.home}の住所です。",
        f"A moving-in notice, but the previous address is already in {ctx.home}.",
        "市内での引っ越しなら、届出の種類を「転居」にしてください。",
        "For a move within the municipality, change the event to moving-within (転居).",
        field=field,
        member=member,
    )


def _moving_from_elsewhere(
    ctx: CheckContext, address: str, field: str, member: int | None
) -> Finding:
    event = "転居届" if ctx.record.event == "moving-within" else "転出届"
    where = ctx.locate(address).municipality
    return _block(
        "moving_from_another_municipality",
        f"{event}は{ctx.home}に住民登録のある方の届出ですが、"
        f"住所が{where.name if where else '他の市区町村'}です。",
        f"A {ctx.record.event} notice is for residents of {ctx.home}, "
        "but this address is in another municipality.",
        "他の市区町村から引っ越してきた方なら、届出の種類を「転入」にしてください。"
        "住所の入力誤りなら直してください。",
        "If the resident is moving in from another municipality, change the event to "
        "moving-in (転入); if the address was mistyped, correct it.",
        field=field,
        member=member,
        municipality=where.name if where else None,
    )


def move_ends_on_the_right_side(ctx: CheckContext) -> Iterator[Finding]:
    """転入・転居 end here; 転出 ends in another municipality; a move needs somewhere to go."""
    record = ctx.record
    if record.event not in MOVES:
        return
    if not record.new_address:
        yield _warn(
            "new_address_missing",
            "新しい住所（転出の場合は転出先）が入力されていません。",
            "The new address (for moving-out, the destination) is missing.",
            "届書に必要です。住所を入力してください。",
            "The notice needs it: enter the address.",
            field="new_address",
        )
        return
    here = ctx.locate(record.new_address).here
    if record.event == "moving-out" and split_municipality(record.new_address)[0] is None:
        yield _destination_unnamed()  # 本町1-2-3: this town's 本町, or the destination's?
    elif record.event == "moving-out" and here is True:
        yield _moving_out_to_here(ctx)
    elif record.event != "moving-out" and here is False:
        yield _moving_to_elsewhere(ctx)


def _destination_unnamed() -> Finding:
    return _warn(
        "destination_municipality_missing",
        "転出先の住所に都道府県・市区町村がありません。",
        "The moving-out destination names no prefecture or municipality.",
        "転出証明書に載るので、転出先を都道府県・市区町村から入力してください。",
        "It is printed on the moving-out certificate: enter it with its prefecture and "
        "municipality.",
        field="new_address",
    )


def _moving_out_to_here(ctx: CheckContext) -> Finding:
    return _block(
        "moving_out_within_municipality",
        f"転出先が{ctx.home}の中の住所です。",
        f"The moving-out destination is in {ctx.home}.",
        "市内での引っ越しなら、届出の種類を「転居」にしてください。",
        "For a move within the municipality, change the event to moving-within (転居).",
        field="new_address",
    )


def _moving_to_elsewhere(ctx: CheckContext) -> Finding:
    return _block(
        "new_address_in_another_municipality",
        f"新しい住所が{ctx.home}の住所ではありません。",
        f"The new address is not in {ctx.home}.",
        "他の市区町村へ引っ越すなら、届出の種類を「転出」にしてください。"
        "住所の入力誤りなら、町字の一覧から選び直してください。",
        "If the resident leaves the municipality, change the event to moving-out (転出); "
        "if the address was mistyped, pick it again from the area list.",
        field="new_address",
    )


def move_changes_the_address(ctx: CheckContext) -> Iterator[Finding]:
    """A 転居 to the address the resident already has is a typing slip."""
    record = ctx.record
    if record.event != "moving-within" or not (record.previous_address and record.new_address):
        return
    if same_address(record.previous_address, record.new_address):
        yield _block(
            "new_address_same_as_previous",
            "新しい住所が前の住所と同じです。",
            "The new address is the same as the previous one.",
            "番地・号の打ち間違いがないか確かめ、新しい住所を入力し直してください。",
            "Check the block and house numbers and enter the new address again.",
            field="new_address",
        )


# --- dates --------------------------------------------------------------------------------


def filing_date_is_today(ctx: CheckContext) -> Iterator[Finding]:
    """The 届出日 is the day the counter receives the notice: today, barring one by post."""
    filed_on = ctx.record.filed_on
    if filed_on > ctx.today:
        yield _block(
            "filed_in_future",
            f"届出日（{to_wareki(filed_on)}）が今日より後です。",
            "The filing date is after today.",
            "届出日は今日の日付にしてください。",
            "Set the filing date to today.",
            field="filed_on",
        )
    elif filed_on < ctx.today:
        yield _warn(
            "filed_in_past",
            f"届出日（{to_wareki(filed_on)}）が今日ではありません。",
            "The filing date is not today.",
            "窓口で受け付けた日が届出日です。年や月の打ち間違いなら今日の日付にしてください"
            "（郵送で届いた届出なら、そのままで構いません）。",
            "The filing date is the day the counter receives the notice: set it to today "
            "if mistyped (keep it for a notice that came by post).",
            field="filed_on",
        )


def event_not_after_filing(ctx: CheckContext) -> Iterator[Finding]:
    """What has not happened yet cannot be notified; a 転出 alone is filed in advance."""
    record = ctx.record
    if record.event in ("moving-out", "certificate") or record.event_date <= record.filed_on:
        return
    yield _block(
        "event_after_filing",
        f"異動日（{to_wareki(record.event_date)}）が届出日より後です。"
        "まだ起きていないことは届け出られません。",
        "The event date is after the filing date: what has not happened cannot be notified.",
        "日付の入力誤りなら直してください。引っ越し前の方は、引っ越した後に届け出てもらいます"
        "（転出届だけは前もって届け出られます）。",
        "Correct the date if mistyped; a resident who has not moved yet files after moving "
        "(only a moving-out notice is filed in advance).",
        field="event_date",
    )


MOVING_OUT_ADVANCE_DAYS = 14


def moving_out_not_too_early(ctx: CheckContext) -> Iterator[Finding]:
    record = ctx.record
    if record.event != "moving-out":
        return
    if record.event_date > record.filed_on + dt.timedelta(days=MOVING_OUT_ADVANCE_DAYS):
        yield _warn(
            "moving_out_too_early",
            "転出予定日が14日以上先です。転出届は、ふつう転出予定日の14日前から受け付けます。",
            "The planned moving-out date is more than 14 days ahead; a moving-out notice is "
            "usually accepted from 14 days before.",
            "予定日が正しいか確かめ、早すぎる場合は14日前以降にあらためて来てもらってください。",
            "Check the planned date; if it is too early, ask the resident to come back "
            "within 14 days of it.",
            field="event_date",
        )


@dataclass(frozen=True)
class Deadline:
    days: int
    first_day_counts: bool  # 戸籍法: the day of the event counts; 住基法 (民法140条): it does not
    law: str


DEADLINES: dict[str, Deadline] = {
    "moving-in": Deadline(14, False, "住民基本台帳法第22条"),
    "moving-within": Deadline(14, False, "住民基本台帳法第23条"),
    "moving-out": Deadline(14, False, "住民基本台帳法第24条"),
    "household-change": Deadline(14, False, "住民基本台帳法第25条"),
    "birth": Deadline(14, True, "戸籍法第49条"),
    "death": Deadline(7, True, "戸籍法第86条、死亡の事実を知った日から"),
}


def _is_closed_day(day: dt.date) -> bool:
    """Saturdays, Sundays and 12/29–1/3 (行政機関の休日). National holidays are not known here,
    so a deadline on one may be warned about a day early: a warning only."""
    return day.weekday() >= 5 or (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)


def last_day_to_file(event: str, event_date: dt.date) -> dt.date | None:
    """The last day of the filing period, moved past a closed day (民法142条)."""
    deadline = DEADLINES.get(event)
    if deadline is None:
        return None
    last = event_date + dt.timedelta(days=deadline.days - (1 if deadline.first_day_counts else 0))
    while _is_closed_day(last):
        last += dt.timedelta(days=1)
    return last


def deadline_not_passed(ctx: CheckContext) -> Iterator[Finding]:
    record = ctx.record
    last = last_day_to_file(record.event, record.event_date)
    if last is None or record.filed_on <= last:
        return
    deadline = DEADLINES[record.event]
    yield _warn(
        "deadline_passed",
        f"届出期間（{deadline.days}日以内、{to_wareki(last)}まで）を過ぎています"
        f"（{deadline.law}）。",
        f"The filing period ({deadline.days} days, until {last.isoformat()}) has passed.",
        "届出は受け付けます。遅れた理由をお聞きして記録し、期間経過の届出として処理してください"
        "（簡易裁判所への届出期間経過通知が必要です）。",
        "Accept the notice; ask and note why it is late, and process it as a late notice "
        "(the summary court is notified of the late filing).",
        field="event_date",
    )


OLDEST_AGE = 120


def birth_dates_plausible(ctx: CheckContext) -> Iterator[Finding]:
    """A birth in the future is a slip; an age over 120 is usually the wrong 元号."""
    for index, member in enumerate(ctx.record.members):
        if member.birth_date is None:
            continue
        if member.birth_date > ctx.record.filed_on:
            yield _born_in_future(index)
        elif (member.age_on(ctx.record.filed_on) or 0) > OLDEST_AGE:
            yield _warn(
                "age_over_120",
                f"{index + 1}人目の方の年齢が{OLDEST_AGE}歳を超えます。",
                f"Member {index + 1} would be over {OLDEST_AGE} years old.",
                "元号（昭和・平成など）や年の入力誤りがないか確かめてください。",
                "Check the era (昭和, 平成…) and the year typed.",
                field=f"members.{index}.birth_date",
                member=index,
            )


def _born_in_future(index: int) -> Finding:
    return _block(
        "born_in_future",
        f"{index + 1}人目の方の生年月日が届出日より後です。",
        f"Member {index + 1} is born after the filing date.",
        "生年月日を確かめて直してください（元号や年の打ち間違いに注意）。",
        "Check and correct the date of birth (mind the era and the year).",
        field=f"members.{index}.birth_date",
        member=index,
    )


# --- members ------------------------------------------------------------------------------


def _is_head(member: Member) -> bool:
    return (member.relationship or "").strip() == HEAD


def one_household_head(ctx: CheckContext) -> Iterator[Finding]:
    heads = [i for i, m in enumerate(ctx.record.members) if _is_head(m)]
    for index in heads[1:]:
        yield _block(
            "two_household_heads",
            f"世帯主が{len(heads)}人います（{index + 1}人目の方）。世帯主は1世帯に1人です。",
            f"There are {len(heads)} household heads (member {index + 1}); a household has one.",
            "この方の続柄を世帯主から見た続柄（妻・子など）に直してください。"
            "別の世帯なら、世帯ごとに受付を分けてください。",
            "Change this member's relationship to the one to the head (妻, 子…); for another "
            "household, open a separate visit.",
            field=f"members.{index}.relationship",
            member=index,
        )


def household_head_named_once(ctx: CheckContext) -> Iterator[Finding]:
    """The 世帯主 field and the member marked 世帯主 name the same person."""
    record = ctx.record
    heads = [m for m in record.members if _is_head(m)]
    if len(heads) != 1 or not record.household_head:
        return
    if fold(heads[0].name) != fold(record.household_head):
        yield _warn(
            "household_head_differs",
            "世帯主の氏名が、続柄が世帯主の世帯員と違います。",
            "The household head's name differs from the member marked 世帯主.",
            "どちらが正しいか確かめ、世帯主の氏名か続柄を直してください。",
            "Check which is right and correct the head's name or the relationship.",
            field="household_head",
        )


def same_person_once(ctx: CheckContext) -> Iterator[Finding]:
    """The same card read twice, or a member typed again: same name and date of birth."""
    seen: dict[tuple[str, dt.date | None], int] = {}
    for index, member in enumerate(ctx.record.members):
        key = (fold(member.name), member.birth_date)
        if key in seen:
            yield _block(
                "member_twice",
                f"{seen[key] + 1}人目と{index + 1}人目が同じ方です（氏名・生年月日が同じ）。",
                f"Members {seen[key] + 1} and {index + 1} are the same person.",
                "重複している方を削除してください。",
                "Remove the duplicate member.",
                field=f"members.{index}",
                member=index,
            )
        seen.setdefault(key, index)


def deceased_only_in_death(ctx: CheckContext) -> Iterator[Finding]:
    record = ctx.record
    deceased = [i for i, m in enumerate(record.members) if m.deceased]
    if record.event != "death":
        for index in deceased:
            yield _block(
                "deceased_outside_death",
                f"{index + 1}人目の方が「死亡」になっていますが、届出は死亡届ではありません。",
                f"Member {index + 1} is marked deceased, but the event is not a death.",
                "死亡の手続きなら届出の種類を「死亡」に、そうでなければ「死亡」の印を外してください。",
                "For a death, change the event to death; otherwise clear the deceased mark.",
                field=f"members.{index}.deceased",
                member=index,
            )
        return
    yield from _death_has_one_deceased(deceased)
    yield from _deceased_does_not_file(record, deceased)


def _death_has_one_deceased(deceased: list[int]) -> Iterator[Finding]:
    if not deceased:
        yield _block(
            "deceased_missing",
            "死亡届ですが、亡くなった方が選ばれていません。",
            "A death, but no member is marked as the deceased.",
            "世帯員の中から亡くなった方を選んでください。",
            "Mark the member who died.",
            field="members",
        )
    elif len(deceased) > 1:
        yield _warn(
            "several_deceased",
            f"亡くなった方が{len(deceased)}人選ばれています。",
            f"{len(deceased)} members are marked deceased.",
            "同時に亡くなった場合を除き、1人ずつ受け付けてください。",
            "Unless they died together, handle one death per visit.",
            field="members",
        )


def _deceased_does_not_file(record: VisitRecord, deceased: list[int]) -> Iterator[Finding]:
    applicant = record.applicant.member if record.applicant else None
    if applicant is not None and applicant in deceased:
        yield _block(
            "deceased_is_applicant",
            "亡くなった方が届出人になっています。",
            "The deceased is the person filing.",
            "届出人を、届け出に来た方（親族・同居者など）にしてください。",
            "Make the person who came to file (a relative, a housemate…) the applicant.",
            field="applicant.member",
            member=applicant,
        )
    new_head = record.new_household_head
    if new_head and any(fold(record.members[i].name) == fold(new_head) for i in deceased):
        yield _block(
            "deceased_is_new_head",
            "亡くなった方が新しい世帯主になっています。",
            "The deceased is named as the new household head.",
            "残る世帯員の中から新しい世帯主を選んでください。",
            "Choose the new head among the members who remain.",
            field="new_household_head",
        )


def _newborns(record: VisitRecord) -> list[tuple[int, Member]]:
    """Marked concerned, or (nobody marked) typed by hand and under one on the event date, as
    the counter's roles take it (a card is never a newborn's: it is issued later)."""
    marked = [(i, m) for i, m in enumerate(record.members) if m.concerned]
    return marked or [
        (i, m)
        for i, m in enumerate(record.members)
        if m.concerned is None and m.source != "card" and m.age_on(record.event_date) == 0
    ]


def newborn_matches_birth(ctx: CheckContext) -> Iterator[Finding]:
    record = ctx.record
    if record.event != "birth":
        return
    newborns = _newborns(record)
    if not newborns:
        yield _warn(
            "newborn_missing",
            "出生届ですが、生まれたお子さんが選ばれていません。",
            "A birth, but no member is marked as the newborn.",
            "お子さんを世帯員に加え、「届出の対象」にしてください。",
            "Add the child as a member and mark them as the one concerned.",
            field="members",
        )
    for index, member in newborns:
        if member.birth_date is not None and member.birth_date != record.event_date:
            yield _block(
                "newborn_birth_date_differs",
                "お子さんの生年月日と出生の日（異動日）が違います。",
                "The newborn's date of birth differs from the event date.",
                "出生証明書の日付を確かめ、どちらかを直してください。",
                "Check the date on the birth certificate and correct one of them.",
                field=f"members.{index}.birth_date",
                member=index,
            )


def member_references_exist(ctx: CheckContext) -> Iterator[Finding]:
    """Indices into members (the applicant, a certificate's persons) point at a member."""
    record = ctx.record
    count = len(record.members)
    applicant = record.applicant.member if record.applicant else None
    if applicant is not None and not 0 <= applicant < count:
        yield _missing_member("applicant.member")
    for c_index, certificate in enumerate(record.certificates):
        if any(not 0 <= m < count for m in certificate.members or []):
            yield _missing_member(f"certificates.{c_index}.members")


def _missing_member(field: str) -> Finding:
    return _block(
        "member_not_in_visit",
        "選ばれた方が世帯員の一覧にいません（削除された可能性があります）。",
        "A person chosen is not among the members (perhaps removed).",
        "もう一度、一覧から選び直してください。",
        "Choose the person again from the list.",
        field=field,
    )


# --- certificates -------------------------------------------------------------------------


def current_fiscal_year(today: dt.date) -> int:
    """The newest 年度 of 所得・課税証明書: 令和N年度 is issued from 1 June of 令和N年."""
    return today.year if (today.month, today.day) >= (6, 1) else today.year - 1


def january_first_address(record: VisitRecord, fiscal_year: int) -> str | None:
    """Where the resident lived on 1 January of ``fiscal_year``, when the record tells us:
    ``address_on_january_first``, else for a 転入 after that day, the previous address.
    None: nothing says they lived elsewhere (a 転出 still had this town's on 1 January)."""
    if record.address_on_january_first:
        return record.address_on_january_first
    if record.event == "moving-in" and record.event_date > dt.date(fiscal_year, 1, 1):
        return record.previous_address
    return None


@dataclass(frozen=True)
class TaxIssuer:
    """Who issues a 所得・課税証明書 of ``fiscal_year``: here, elsewhere, or unknown (None)."""

    fiscal_year: int
    here: bool | None
    municipality: str | None  # the issuing municipality when not here
    january_first_address: str | None


def tax_certificate_issuer(
    record: VisitRecord,
    certificate: Certificate,
    today: dt.date,
    areas: addresses.AreaList | None = None,
) -> TaxIssuer:
    """Only the municipality of the 1 January address issues the 年度 (地方税法)."""
    year = certificate.fiscal_year or current_fiscal_year(today)
    address = january_first_address(record, year)
    if address is None:
        moved_in_since = record.event == "moving-in" and record.event_date > dt.date(year, 1, 1)
        return TaxIssuer(year, None if moved_in_since else True, None, None)
    found = addresses.locate(record.tenant.code, record.tenant.name, address, areas)
    name = found.municipality.name if found.municipality and found.here is False else None
    return TaxIssuer(year, found.here, name, address)


def _tax_certificates(record: VisitRecord) -> Iterator[tuple[int, Certificate]]:
    return ((i, c) for i, c in enumerate(record.certificates) if c.kind == "tax")


def tax_certificate_issued_here(ctx: CheckContext) -> Iterator[Finding]:
    for index, certificate in _tax_certificates(ctx.record):
        issuer = tax_certificate_issuer(ctx.record, certificate, ctx.today, ctx.areas)
        year = fiscal_year_label(issuer.fiscal_year)
        if issuer.here is False:
            yield _tax_elsewhere(ctx.record, index, year, issuer)
        elif issuer.here is None:
            yield _warn(
                "tax_certificate_issuer_unknown",
                f"{year}の所得・課税証明書について、1月1日の住所の市区町村が分かりません。",
                f"For the {year} tax certificate, the municipality of the 1 January address "
                "cannot be told.",
                "1月1日の住所を都道府県・市区町村から入力してください。"
                f"{ctx.home}以外なら、その市区町村への郵送請求になります。",
                "Enter the 1 January address with its prefecture and municipality; if it is "
                "not here, the certificate is requested from there by post.",
                field="address_on_january_first",
            )


def postal_request_prepared(record: VisitRecord, fiscal_year: int) -> bool:
    """Whether the visit's forms hold the 郵送請求書 instead of this town's tax form: a 転入
    after 1 January of the 年度 (the forms' rule, ``forms.data.january_first_elsewhere``)."""
    return record.event == "moving-in" and record.event_date > dt.date(fiscal_year, 1, 1)


def _tax_elsewhere(record: VisitRecord, index: int, year: str, issuer: TaxIssuer) -> Finding:
    where = issuer.municipality or "1月1日の住所の市区町村"
    if postal_request_prepared(record, issuer.fiscal_year):
        return _tax_by_post(index, year, where, issuer.municipality)
    return _block(
        "tax_certificate_elsewhere",
        f"{year}の所得・課税証明書は、1月1日に住んでいた{where}が発行します。"
        "この窓口では発行できません。",
        f"The {year} tax certificate is issued only by {where}, where the resident lived on "
        "1 January; it cannot be issued here.",
        f"この証明書を申請から外し、{where}へ郵送で請求するよう案内してください"
        "（コンビニ交付が使える場合もあります）。",
        f"Remove this certificate from the request and tell the resident to ask {where} by "
        "post (a convenience-store issue may also be possible).",
        field=f"certificates.{index}",
        municipality=issuer.municipality,
    )


def _tax_by_post(index: int, year: str, where: str, municipality: str | None) -> Finding:
    return _warn(
        "tax_certificate_by_post",
        f"{year}の所得・課税証明書は、1月1日に住んでいた{where}が発行します"
        f"（この窓口では発行できません）。{where}あての郵送請求書を作ります。",
        f"The {year} tax certificate is issued only by {where}, where the resident lived on "
        f"1 January: a postal request to {where} is prepared instead.",
        f"郵送請求書を印刷してお渡しし、{where}の税務担当へ郵送するよう案内してください"
        "（本人確認書類の写し・手数料・返信用封筒を同封。コンビニ交付が使える場合もあります）。",
        f"Print the postal request and tell the resident to send it to {where}'s tax office "
        "with a copy of their ID, the fee and a return envelope (or use a convenience store).",
        field=f"certificates.{index}",
        municipality=municipality,
    )


TAX_YEARS_KEPT = 5


def tax_certificate_year_issuable(ctx: CheckContext) -> Iterator[Finding]:
    newest = current_fiscal_year(ctx.today)
    for index, certificate in _tax_certificates(ctx.record):
        year = certificate.fiscal_year
        if year is not None and year > newest:
            yield _block(
                "tax_year_not_issued_yet",
                f"{fiscal_year_label(year)}の所得・課税証明書はまだ発行できません"
                f"（{year}年6月から）。",
                f"The {year} tax certificate is not issued before June {year}.",
                f"いま発行できるのは{fiscal_year_label(newest)}までです。年度を選び直してください。",
                f"The newest year issued now is {newest}: choose the year again.",
                field=f"certificates.{index}.fiscal_year",
            )
        elif year is not None and year <= newest - TAX_YEARS_KEPT:
            yield _warn(
                "tax_year_old",
                f"{fiscal_year_label(year)}は古い年度で、証明書を発行できない場合があります。",
                f"{year} is an old year; the certificate may no longer be issued.",
                "担当課（税務課）に発行できるか確認してください。",
                "Ask the tax department whether it can still be issued.",
                field=f"certificates.{index}.fiscal_year",
            )


def residence_certificate_issued_here(ctx: CheckContext) -> Iterator[Finding]:
    """A 住民票 comes from the municipality of residence (広域交付 aside): for a certificate-only
    visit by someone whose card says they live elsewhere, say so."""
    record = ctx.record
    if record.event != "certificate":
        return
    if not any(c.kind == "residence" for c in record.certificates):
        return
    for index, member in enumerate(record.members):
        if member.source == "card" and member.address:
            place = ctx.locate(member.address)
            if place.here is False:
                yield _residence_elsewhere(index, place)


def _residence_elsewhere(index: int, place: addresses.Location) -> Finding:
    where = place.municipality.name if place.municipality else "他の市区町村"
    return _warn(
        "residence_certificate_elsewhere",
        f"{index + 1}人目の方の住所は{where}です。住民票はふつう住所地の市区町村が発行します。",
        f"Member {index + 1} lives in {where}; a residence certificate usually comes from there.",
        "本人か同一世帯の方がマイナンバーカード等で請求するなら、広域交付として発行できます"
        "（本籍・筆頭者は載りません）。それ以外は住所地へ請求してもらってください。",
        "The resident or a household member with an ID card can have it issued here as a "
        "広域交付 (without 本籍); otherwise they request it from their municipality.",
        field=f"members.{index}.address",
        member=index,
        municipality=place.municipality.name if place.municipality else None,
    )


# --- running them -------------------------------------------------------------------------

RULES: tuple[Rule, ...] = (
    move_starts_on_the_right_side,
    move_ends_on_the_right_side,
    move_changes_the_address,
    filing_date_is_today,
    event_not_after_filing,
    moving_out_not_too_early,
    deadline_not_passed,
    birth_dates_plausible,
    one_household_head,
    household_head_named_once,
    same_person_once,
    deceased_only_in_death,
    newborn_matches_birth,
    member_references_exist,
    tax_certificate_issued_here,
    tax_certificate_year_issuable,
    residence_certificate_issued_here,
)


def check_record(
    record: VisitRecord, today: dt.date, areas: addresses.AreaList | None = None
) -> list[Finding]:
    """Every finding of every rule, blocking ones first (pure: no database)."""
    context = CheckContext(record=record, today=today, areas=areas)
    findings = [finding for rule in RULES for finding in rule(context)]
    return sorted(findings, key=lambda f: f.severity != Severity.BLOCK)


def _today(session: Session, visit: Visit) -> dt.date:
    tenant = session.get(Tenant, visit.tenant_id)
    assert tenant is not None
    return visits.local_today(tenant)


def _areas(session: Session, record: VisitRecord) -> addresses.AreaList | None:
    return addresses.areas_for(session, record.tenant.code)


def refuse_if_blocked(session: Session, visit: Visit, record: VisitRecord) -> None:
    """Called on the way to the tablet: a blocking finding refuses the move, whoever calls."""
    blocking = [
        f
        for f in check_record(record, _today(session, visit), _areas(session, record))
        if f.severity == Severity.BLOCK
    ]
    if blocking:
        raise VisitInconsistent(
            blocking[0].message, findings=[f.model_dump(mode="json") for f in blocking]
        )


def visit_checks(session: Session, visit_id: str, principal: Principal) -> ChecksRead:
    """The findings for the clerk's screen (audited: they quote the visit's data)."""
    visit = visits.get_visit(session, visit_id)
    try:
        record = visits.build_record(session, visit)
        findings = check_record(record, _today(session, visit), _areas(session, record))
    except VisitIncomplete as incomplete:
        findings = [_event_missing(incomplete)]
    visits.audit_visit(session, principal, "visit.checks.view", visit)
    return ChecksRead(
        visit_id=visit.id,
        blocking=any(f.severity == Severity.BLOCK for f in findings),
        findings=findings,
    )


def _event_missing(error: VisitIncomplete) -> Finding:
    return _block(
        "event_missing",
        error.message,
        "Choose the life event (moving-in, moving-out…).",
        "画面の上で届出の種類を選んでください。",
        "Pick the event at the top of the screen.",
        field="event",
    )
