"""Errors of the agent domain: what the clerk sees when the counter's devices are not there."""

from __future__ import annotations

from backend.platform.errors import BadRequest, Conflict, NotFound, ServiceUnavailable


class AgentNotPaired(ServiceUnavailable):
    code = "agent_not_paired"
    default_message = (
        "この窓口にはカードリーダー・プリンターの端末（カウンターエージェント）が登録されていません。"
        "管理者に端末の登録を依頼してください。"
    )


class AgentOffline(ServiceUnavailable):
    code = "agent_offline"
    default_message = (
        "窓口の端末（カウンターエージェント）に接続できません。"
        "端末の電源とネットワークを確認し、しばらくしてからもう一度お試しください。"
    )


class JobNotFound(NotFound):
    code = "job_not_found"
    default_message = "処理が見つかりません。"


class JobNotAwaitingPin(Conflict):
    code = "job_not_awaiting_pin"
    default_message = (
        "暗証番号の入力を待っている読み取りではありません。もう一度読み取りを始めてください。"
    )


class InvalidPin(BadRequest):
    code = "invalid_pin_format"
    default_message = "暗証番号は数字4桁です。"


class NotReprintable(Conflict):
    code = "not_reprintable"
    default_message = "この印刷はもう一度印刷できません（印刷済みか、印刷データがありません）。"
