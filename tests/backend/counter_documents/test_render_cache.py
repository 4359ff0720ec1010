"""Forms rendered once per content (backend.counter.rendering): previews and the signed
document share one rendering, a changed record renders again, the pool gives the same bytes."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from backend.counter import rendering
from backend.platform.settings import get_settings
from contracts import VisitRecord
from forms import load_layout, stamping
from forms.errors import UnprintableCharacterError
from forms.pdf import Rendered
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
    resources = preview.pages[0]["/Resources"].get_object()
    assert len(preview.pages) == 1 and isinstance(resources, DictionaryObject)
    assert "/MadoguchiWatermark" in resources["/XObject"].get_object()
    assert "U+F0000" in raised.value.message


def test_a_preview_is_one_call_to_the_pool_and_a_signature_is_laid_on_here(
    renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The form and its 見本 come from one call, which sends back the rendering and only the
    update 見本 appends; signing lays the strokes over the rendering's skeleton without a
    trip to the pool (the trip cost more than the work); a drawn image goes to the pool,
    which is sent the skeleton, not the form, and sends back only the update."""
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
    assert [name for name, _ in calls] == ["render_with_watermark"]
    image = signature().model_copy(update={"strokes": [], "png_base64": _png()})
    drawn = rendering.signed("moving-notice", record, result, image)
    assert [name for name, _ in calls] == ["render_with_watermark", "signature_update"]
    assert all(0 < size < len(base.content) // 4 for _, size in calls)
    assert sent[1] == base.skeleton
    assert renders == ["moving-notice"]
    assert preview.content == stamping.preview_of(base, "moving-notice").content
    assert signed.content == stamping.signed_of(base, "moving-notice", signature()).content
    assert drawn.content == stamping.signed_of(base, "moving-notice", image).content


def test_a_rendering_without_skeleton_is_laid_on_in_the_pool(
    renders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A form merged onto a background PDF (pypdf writes it) is read by the pool's worker."""
    names: list[str] = []
    run = rendering.run

    def counting(function: Callable[..., object], *args: object) -> object:
        names.append(function.__name__)
        return run(function, *args)

    monkeypatch.setattr(rendering, "run", counting)
    record, result = visit(2), guidance()
    base = rendering.unsigned("moving-notice", record, result)
    key, _ = rendering._key("moving-notice", record, result, None)
    bare = base._replace(skeleton=None)
    rendering._store(key, load_layout("moving-notice"), bare)
    signed = rendering.signed("moving-notice", record, result, signature())
    preview = rendering.preview("moving-notice", record, result)
    assert names[1:] == ["signature_update", "watermark_update"] and renders == ["moving-notice"]
    assert signed.content == stamping.signed_of(base, "moving-notice", signature()).content
    assert preview.content == stamping.preview_of(base, "moving-notice").content


def _png() -> str:
    """A signature sent as an image: a black bar on a transparent ground, PNG in base64."""
    image = Image.new("RGBA", (60, 20), (255, 255, 255, 0))
    image.paste((0, 0, 0, 255), (5, 8, 55, 12))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def test_a_render_process_collects_garbage_as_the_server_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its fonts loaded and frozen, its young generation collected every 20 000 allocations
    (``backend.platform.gc_tuning``), as the API process's."""
    import gc

    from backend.platform import gc_tuning

    monkeypatch.setattr(get_settings(), "render_processes", 1)
    try:
        threshold = rendering.run(gc.get_threshold)
        frozen = rendering.run(gc.get_freeze_count)
    finally:
        rendering.shutdown_pool()
    assert threshold == (gc_tuning.YOUNG_THRESHOLD, *gc_tuning.OLDER_THRESHOLDS)
    assert frozen > 10_000


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_the_servers_shutdown_ends_its_render_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A render process waits for work for ever: the server's shutdown ends the pool and waits
    for it (they outlived ``madoguchi serve`` after a SIGTERM)."""
    monkeypatch.setattr(get_settings(), "render_processes", 1)
    try:
        worker = rendering.run(os.getpid)
    finally:
        rendering.shutdown_pool(wait=True)
    assert worker != os.getpid()
    assert _gone_within(worker, 5.0)


def test_the_server_starts_its_render_processes_before_the_first_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The day's first preview found no render process and waited for two to start (≈2 s of
    imports, on the core the requests need): the server starts them as it starts."""
    from fastapi.testclient import TestClient

    from backend.app import create_app

    monkeypatch.setattr(get_settings(), "render_processes", 2)
    rendering.shutdown_pool(wait=True)
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        deadline = time.monotonic() + 30.0
        while time.monotonic() < deadline and len(_render_processes()) < 2:
            time.sleep(0.05)
        started = _render_processes()
        assert len(started) == 2 and all(process.is_alive() for process in started)
        assert rendering.run(os.getpid) in {process.pid for process in started}
    assert all(_gone_within(process.pid, 5.0) for process in started)  # and ends them


def _render_processes() -> list[Any]:
    pool = rendering._pool
    return list(getattr(pool, "_processes", {}).values()) if pool is not None else []


def test_render_processes_end_when_their_server_is_killed(tmp_path: Path) -> None:
    """A server killed with SIGKILL runs no shutdown: its render processes notice it is gone
    (``rendering.SERVER_CHECK_SECONDS``) and end."""
    script = (
        "import os, sys\n"
        "from backend.counter import rendering\n"
        "print(rendering.run(os.getpid), flush=True)\n"
        "sys.stdin.read()\n"  # until killed
    )
    env = {**os.environ, "MADOGUCHI_RENDER_PROCESSES": "1"}
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[3],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        assert not _gone_within(worker, 0.5)  # the check can fail: alive while its server is
    finally:
        server.kill()
        server.wait()
    assert _gone_within(worker, rendering.SERVER_CHECK_SECONDS + 5.0)


@pytest.fixture
def quick_forms(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Forms of a realistic size (80 KB, 見本 4 KB) drawn instantly; the names drawn, in order."""
    drawn: list[str] = []

    def render_with_watermark(name: str, *args: object) -> tuple[Rendered, bytes]:
        drawn.append(name)
        return Rendered(f"{name}.pdf", "application/pdf", b"%PDF" + bytes(80_000)), b"W" * 4000

    def render_unsigned(name: str, *args: object) -> Rendered:
        return render_with_watermark(name, *args)[0]

    monkeypatch.setattr(stamping, "render_with_watermark", render_with_watermark)
    monkeypatch.setattr(stamping, "render_unsigned", render_unsigned)
    rendering.clear_cache()
    yield drawn
    rendering.clear_cache()


def _visit_at(number: int) -> VisitRecord:
    record = visit(2)
    return VisitRecord.model_validate(
        {**record.model_dump(), "new_address": f"窓口デモ市中央一丁目{number}番地"}
    )


FORMS = ("moving-notice", "residence-certificate-request", "checklist")


def test_a_preview_is_still_rendered_when_its_resident_signs_after_64_other_counters(
    quick_forms: list[str],
) -> None:
    """At 64 counters every other counter previews its three forms between one counter's
    preview and its resident's signature: the signature must not draw the forms again."""
    records = [_visit_at(number) for number in range(65)]
    for record in records:
        for form in FORMS:
            rendering.preview(form, record, None)
    assert len(quick_forms) == 65 * 3
    for form in FORMS:
        rendering.unsigned(form, records[0], None)
        rendering.preview(form, records[0], None)
    assert len(quick_forms) == 65 * 3  # nothing drawn again


def test_the_cache_keeps_within_its_bytes_and_drops_the_least_recently_used(
    quick_forms: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rendering, "CACHE_BYTES", 10 * 84_004)
    records = [_visit_at(number) for number in range(12)]
    for record in records:
        rendering.preview("moving-notice", record, None)
    assert rendering._cache_bytes <= rendering.CACHE_BYTES
    assert len(rendering._cache) == 10
    rendering.preview("moving-notice", records[-1], None)  # the newest: still kept
    assert len(quick_forms) == 12
    rendering.preview("moving-notice", records[0], None)  # the oldest: dropped, drawn again
    assert len(quick_forms) == 13


def test_a_preview_after_an_unsigned_rendering_keeps_one_copy_of_the_form(
    renders: list[str],
) -> None:
    record, result = visit(2), guidance()
    base = rendering.unsigned("moving-notice", record, result)
    assert rendering._cache_bytes == len(base.content)
    preview = rendering.preview("moving-notice", record, result)
    watermark = preview.content[len(base.content) :]
    assert preview.content.startswith(base.content) and 0 < len(watermark) < 10_000
    assert rendering._cache_bytes == len(base.content) + len(watermark)  # not a second form
    assert rendering.preview("moving-notice", record, result).content == preview.content
    assert renders == ["moving-notice"]
