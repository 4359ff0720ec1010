"""Errors of the visits domain, with stable codes and messages for the clerk."""

from __future__ import annotations

from backend.platform.errors import BadRequest, Conflict, NotFound


class VisitNotFound(NotFound):
    code = "visit_not_found"
    default_message = "受付が見つかりません。"


class MemberNotFound(NotFound):
    code = "member_not_found"
    default_message = "世帯員が見つかりません。"


class VisitClosed(Conflict):
    code = "visit_closed"
    default_message = "この受付は終了しています。新しい受付を開始してください。"


class AlreadySigned(Conflict):
    code = "already_signed"
    default_message = (
        "署名済みです。内容を変えるには、受付の内容を修正してから確認し直してください。"
    )


class NotConfirming(Conflict):
    code = "not_confirming"
    default_message = (
        "タブレットでの確認中ではありません。窓口で「タブレットで確認」を押してください。"
    )


class NotSigned(Conflict):
    code = "not_signed"
    default_message = "まだ署名されていません。タブレットで確認と署名をしてもらってください。"


class CardFieldReadOnly(Conflict):
    code = "card_field_read_only"
    default_message = (
        "マイナンバーカードから読み取った氏名・住所・生年月日・性別は変更できません。"
        "誤りがある場合は、世帯員を削除して読み取り直すか、カードの券面を確認してください。"
    )


class VisitIncomplete(BadRequest):
    code = "visit_incomplete"
    default_message = "届出の種類（転入・転出など）を選んでください。"


class CardDataInvalid(BadRequest):
    code = "card_data_invalid"
    default_message = (
        "カードから読み取ったデータの形式が正しくありません。手入力で対応してください。"
    )


class ApplicantNotAllowed(BadRequest):
    code = "applicant_not_allowed"
    default_message = (
        "亡くなられた方・生まれたお子さんは届出人になれません。届け出る方を選び直してください。"
    )


class AnswerKeyInvalid(BadRequest):
    status_code = 422
    code = "answer_key_invalid"
    default_message = (
        "回答の項目名が正しくありません（世帯員の回答は members.番号.項目 の形です）。"
    )


class QuestionsOpen(Conflict):
    code = "questions_open"
    default_message = (
        "まだ確認していない質問があります。答えるか、「確認できない」として理由を入力してから、"
        "タブレットで確認してください。"
    )
