"""Forms rendered once per content (backend.counter.rendering): previews and the signed
document share one rendering, a changed record renders again, the pool gives the same bytes."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
from pypdf import PdfReader

from backend.counter import rendering
from backend.platform.settings import get_settings
from contracts import VisitRecord
from forms import stamping
from forms.errors import UnprintableCharacterError
from tests.helpers.forms_samples import guidance, signature, visit


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The forms actually drawn (cache misses), by name; an empty cache before and after."""
    drawn: list[str] = []
    draw = stamping.render_unsigned

    def counting(name: str, *args: object) -> object:
        drawn.append(name)
        return draw(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(stamping, "render_unsigned", counting)
    rendering.clear_cache()
    yield drawn
    rendering.clear_cache()


def test_a_second_preview_is_the_same_bytes_without_drawing(renders: list[str]) -> None:
    record, result = visit(2), guidance()
    first = rendering.preview("moving-notice", record, result)
    again = rendering.preview("moving-notice", visit(2), guidance())  # equal, not the same object
    assert again.content == first.content and again.filename == first.filename
    assert renders == ["moving-notice"]


def test_previews_and_signing_share_one_rendering(renders: list[str]) -> None:
    record, result = visit(2), guidance()
    for form in ("moving-notice", "residence-certificate-request"):
        rendering.preview(form, record, result)
    for form in ("moving-notice", "residence-certificate-request"):
        signed = rendering.signed(form, record, result, signature())
        assert signed.content.startswith(b"%PDF")
    assert renders == ["moving-notice", "residence-certificate-request"]


def test_a_changed_record_is_drawn_again(renders: list[str]) -> None:
    record = visit(2)
    before = rendering.unsigned("moving-notice", record, None)
    moved = VisitRecord.model_validate(
        {**record.model_dump(), "new_address": "窓口デモ市中央一丁目９番９号"}
    )
    after = rendering.unsigned("moving-notice", moved, None)
    assert renders == ["moving-notice", "moving-notice"]
    assert after.content != before.content
    assert rendering.unsigned("moving-notice", record, None).content == before.content
    assert len(renders) == 2  # the first record is still cached


def test_the_render_pool_gives_the_same_bytes_and_the_same_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record, result = visit(2), guidance()
    here = stamping.render_unsigned("residence-certificate-request", record, result)
    monkeypatch.setattr(get_settings(), "render_processes", 1)
    try:
        pooled = rendering.run(
            stamping.render_unsigned, "residence-certificate-request", record, result
        )
        base, update = rendering.run(
            stamping.render_with_watermark, "moving-notice", record, result
        )
        bad = VisitRecord.model_validate(
            {**record.model_dump(), "new_address": "窓口デモ市\U000f0000一丁目"}  # private use
        )
        with pytest.raises(UnprintableCharacterError) as raised:
            rendering.run(stamping.render_unsigned, "moving-notice", bad, None)
    finally:
        rendering.shutdown_pool()
    assert pooled.content[:8] == here.content[:8] and len(pooled.content) == len(here.content)
    assert pooled.skeleton is not None and here.skeleton is not None
    assert pooled.skeleton.pages == here.skeleton.pages  # the skeleton travels back too
    preview = PdfReader(io.BytesIO(stamping.appended(base, update).content))
    assert (
        len(preview.pages) == 1
        and "/MadoguchiWatermark" in preview.pages[0]["/Resources"]["/XObject"]
    )
    assert "U+F0000" in raised.value.message


def test_a_preview_is_one_call_to_the_pool_and_signing_brings_back_only_its_update(
    renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form and its 見本 come from one call; what the worker sends back for the watermark
    and the signature is the update appended to the rendering, not the whole document."""
    calls: list[tuple[str, int]] = []
    sent: list[object] = []
    run = rendering.run

    def counting(function: Callable[..., object], *args: object) -> object:
        sent.append(args[0])
        result = run(function, *args)
        content = result[1] if isinstance(result, tuple) else result
        calls.append((function.__name__, len(content) if isinstance(content, bytes) else -1))
        return result

    monkeypatch.setattr(rendering, "run", counting)
    record, result = visit(2), guidance()
    preview = rendering.preview("moving-notice", record, result)
    base = rendering.unsigned("moving-notice", record, result)
    signed = rendering.signed("moving-notice", record, result, signature())
    assert [name for name, _ in calls] == ["render_with_watermark", "signature_update"]
    assert all(0 < size < len(base.content) // 4 for _, size in calls)
    assert sent[1] == base.skeleton  # the signature is laid over the skeleton, not the form
    assert renders == ["moving-notice"]
    assert preview.content == stamping.preview_of(base, "moving-notice").content
    assert signed.content == stamping.signed_of(base, "moving-notice", signature()).content
