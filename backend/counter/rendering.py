"""The visit's forms, rendered once per content and off the request's thread.

A form is drawn once for a given content (``forms.stamping.render_unsigned``): its key is the
document hash (the record, the guidance, the form and its layout version), so the previews and
the signed document share that one rendering; the preview lays 見本 over it and the signed
document lays the signature into its box (``forms.stamping``). The cache is a bounded LRU in
this process's memory with a short lifetime: it only saves work, any replica renders the same
bytes, and a changed record has another hash, so nothing is ever invalidated by hand.

Rendering runs in a small pool of worker processes (``MADOGUCHI_RENDER_PROCESSES``), started
with the server (``start_pool``): PDF drawing is pure Python and would otherwise hold the GIL
that every request of this process needs, on one core. With 0 processes it runs in the
calling thread (tests). Laying 見本 or a signature's strokes over a rendering whose skeleton
is at hand (``_update``) stays here: it reads nothing back and costs less than the trip to
the pool.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from backend.platform import cpu_pinning
from backend.platform.gc_tuning import tune_for_serving
from backend.platform.settings import get_settings
from contracts import GuidanceResult, Signature, VisitRecord
from forms import document_hash, load_layout, stamping
from forms.errors import FormsError
from forms.fonts import registered_font
from forms.layout import Layout
from forms.pdf import Rendered
from forms.pdf_objects import Skeleton

T = TypeVar("T")

log = logging.getLogger(__name__)

# Bounded by bytes, not entries: a counter previews a form, then its resident signs a few
# seconds later, and the rendering must still be here then. 96 entries lasted ≈3 s with 64
# counters (each form was kept twice, base and preview), so most signatures drew their forms
# again. 64 MB holds ≈260 visits' three forms (a rendered form is 50–100 KB).
CACHE_BYTES = 64 * 1024 * 1024
CACHE_SECONDS = 15 * 60.0  # personal data: kept no longer than a visit takes


# --- the cache ---------------------------------------------------------------------------


class _Entry:
    """One content's rendering and, once a preview asked for it, the few KB that lay 見本
    over it: the preview is the two joined, never kept as a second copy of the form."""

    __slots__ = ("expires", "layout", "rendered", "watermark")

    def __init__(
        self, rendered: Rendered, layout: Layout, expires: float, watermark: bytes | None
    ) -> None:
        self.rendered = rendered
        self.layout = layout  # held so that id(layout) in the key stays unique
        self.expires = expires
        self.watermark = watermark

    @property
    def size(self) -> int:
        return len(self.rendered.content) + len(self.watermark or b"")


_cache: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
_cache_bytes = 0
_cache_lock = threading.Lock()


def _key(
    form: str,
    record: VisitRecord,
    guidance: GuidanceResult | None,
    layout: Layout | None,
) -> tuple[tuple[str, ...], Layout]:
    """What the rendering depends on: the document hash covers record, guidance, form and
    layout version; the layout used (the municipality's own or the built-in one: its source
    names the file or the stored version) and the layout object (re-read when its file
    changes) cover two layouts of one version and an edit made without raising it."""
    layout = layout or load_layout(form)
    digest = document_hash(layout.form, layout.version, record, guidance)
    return (form, digest, layout.source, str(id(layout))), layout


def _cached(key: tuple[str, ...]) -> _Entry | None:
    global _cache_bytes
    now = time.monotonic()
    with _cache_lock:
        entry = _cache.get(key)
        if entry is None:
            return None
        if entry.expires < now:
            del _cache[key]
            _cache_bytes -= entry.size
            return None
        _cache.move_to_end(key)
        return entry


def _store(
    key: tuple[str, ...], layout: Layout, rendered: Rendered, watermark: bytes | None = None
) -> None:
    entry = _Entry(rendered, layout, time.monotonic() + CACHE_SECONDS, watermark)
    with _cache_lock:
        _replace(key, entry)


def _add_watermark(key: tuple[str, ...], entry: _Entry, watermark: bytes) -> None:
    global _cache_bytes
    with _cache_lock:
        if _cache.get(key) is entry and entry.watermark is None:  # not evicted meanwhile
            entry.watermark = watermark
            _cache_bytes += len(watermark)


def _replace(key: tuple[str, ...], entry: _Entry) -> None:
    """Under ``_cache_lock``: ``entry`` at ``key``, the least recently used dropped until the
    cache is within ``CACHE_BYTES`` again (the newest stays, however large)."""
    global _cache_bytes
    old = _cache.pop(key, None)
    if old is not None:
        _cache_bytes -= old.size
    _cache[key] = entry
    _cache_bytes += entry.size
    while _cache_bytes > CACHE_BYTES and len(_cache) > 1:
        _, dropped = _cache.popitem(last=False)
        _cache_bytes -= dropped.size


def clear_cache() -> None:
    global _cache_bytes
    with _cache_lock:
        _cache.clear()
        _cache_bytes = 0


# --- the visit's documents ---------------------------------------------------------------


# ``layout``: the municipality's own layout of the form (backend.layouts), None for the
# built-in one.


def unsigned(
    form: str,
    record: VisitRecord,
    guidance: GuidanceResult | None,
    layout: Layout | None = None,
) -> Rendered:
    """The form filled from the record, without signature or watermark (rendered once)."""
    key, used = _key(form, record, guidance, layout)
    entry = _cached(key)
    if entry is not None:
        return entry.rendered
    rendered = run(stamping.render_unsigned, form, record, guidance, layout)
    _store(key, used, rendered)
    return rendered


def preview(
    form: str,
    record: VisitRecord,
    guidance: GuidanceResult | None,
    layout: Layout | None = None,
) -> Rendered:
    """The form as the clerk previews it: the shared rendering with 見本 laid over it.

    Not yet rendered, the form and its watermark come from one call to the render pool; the
    worker sends back the rendering and only the bytes that 見本 appends to it (no second
    round trip carrying the whole form there and back)."""
    key, used = _key(form, record, guidance, layout)
    entry = _cached(key)
    if entry is None:
        base, update = run(stamping.render_with_watermark, form, record, guidance, layout)
        _store(key, used, base, update)
    elif entry.watermark is None:
        base = entry.rendered
        update = _update(stamping.watermark_update, base, form, layout)
        _add_watermark(key, entry, update)
    else:
        base, update = entry.rendered, entry.watermark
    return stamping.appended(base, update)


def signed(
    form: str,
    record: VisitRecord,
    guidance: GuidanceResult | None,
    signature: Signature,
    layout: Layout | None = None,
) -> Rendered:
    """The form as stored at signing: the shared rendering with the signature in its box."""
    base = unsigned(form, record, guidance, layout)
    if signature.strokes:
        update = _update(stamping.signature_update, base, form, signature, layout)
    else:  # an image is drawn by reportlab and read back: the pool's work
        update = run(stamping.signature_update, stamping.skeleton_of(base), form, signature, layout)
    return stamping.appended(base, update)


def _update(function: Callable[..., bytes], base: Rendered, *args: Any) -> bytes:
    """The bytes ``function`` (``stamping.watermark_update``, ``signature_update``) appends
    to ``base``: here when the rendering's skeleton is at hand, else in the render pool.

    With the skeleton nothing is read back, and laying on 見本 or a signature's strokes costs
    less here (0.04 ms, 0.1-2 ms for 22-1500 points) than this process spends on the trip to
    the pool alone (0.15 ms, 0.2-3.8 ms: a signature's points are pickled one by one), and
    the worker's share of the trip is saved too. Without it (a layout with a background PDF,
    merged by pypdf) the rendering is read: the pool's work, as is drawing a form."""
    skeleton = stamping.skeleton_of(base)
    if isinstance(skeleton, Skeleton):
        return function(skeleton, *args)
    return run(function, skeleton, *args)


# --- the process pool --------------------------------------------------------------------

_pool: Executor | None = None
_pool_lock = threading.Lock()


def _executor() -> Executor | None:
    """The render pool, started on first use; None when rendering stays in this process."""
    global _pool
    processes = get_settings().render_processes
    if processes <= 0:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=processes,
                mp_context=_start_context(),
                initializer=_start_worker,
                initargs=(os.getpid(), cpu_pinning.cpus_before_pinning()),
            )
        return _pool


def _start_context() -> multiprocessing.context.BaseContext:
    """Not fork: the server has threads (and locks held by them) that a fork would copy. The
    forkserver imports the forms' modules once, and each render process forks from it ready:
    a process started for spawn imports them again (≈1.3 CPU-s), which is what a pool
    replacing a dead worker would otherwise pay in the middle of a morning."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def start_pool() -> None:
    """Start the render processes now, in the background, rather than at the day's first
    preview: a resident would wait for them (≈2 s), and they would work on a core the
    requests need. Returns at once; no-op with rendering in this process."""
    if get_settings().render_processes > 0:
        threading.Thread(target=_warm_pool, name="render-pool-start", daemon=True).start()


def _warm_pool() -> None:
    pool = _executor()
    if pool is None:
        return
    # The pool starts a process for each task submitted while none is idle: one task each.
    # Not waited for: a process that fails to start breaks the pool, which the next
    # rendering finds and replaces (``run``).
    try:
        for _ in range(get_settings().render_processes):
            pool.submit(_ready)
    except (RuntimeError, BrokenProcessPool) as error:  # shut down meanwhile, or broken
        log.warning("render pool did not start: %s", error)


def _ready() -> None:
    """A render pool task that does nothing: it makes the pool start a process."""


def _start_worker(server_pid: int, server_cpus: frozenset[int] | None = None) -> None:
    """A render process, as it starts: back on every CPU its server had before it was pinned
    to one (``cpu_pinning``: rendering is what the other CPUs are for), the fonts the forms use
    loaded (their tables are what the process holds most of), then the garbage collector tuned
    as the server's is: a rendering allocates tens of thousands of objects, and the default
    collected every 700. It ends itself when the server is gone (``_outlive_no_server``)."""
    cpu_pinning.unpin(server_cpus)
    for role in ("gothic", "mincho"):
        with contextlib.suppress(FormsError):  # a missing font is reported where it is used
            registered_font(role)
    tune_for_serving()
    threading.Thread(
        target=_outlive_no_server, args=(server_pid,), name="render-watchdog", daemon=True
    ).start()


SERVER_CHECK_SECONDS = 2.0


def _outlive_no_server(server_pid: int) -> None:
    """A render process whose server was killed (SIGKILL, out of memory) waits for work that
    never comes, and so does the forkserver it came from: each holds ≈100 MB for ever (a
    benchmark's day left 105 of them). It exits within ``SERVER_CHECK_SECONDS`` instead."""
    while True:
        time.sleep(SERVER_CHECK_SECONDS)
        try:
            os.kill(server_pid, 0)  # signal 0: only whether the process exists
        except (ProcessLookupError, PermissionError):  # gone, or its pid reused by another user
            os._exit(0)


def shutdown_pool(wait: bool = False) -> None:
    """Stop the render pool (a new one starts on next use); ``wait``: until its processes have
    exited (the server's shutdown: they would outlive it)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def run(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in the render pool (or here, with no pool); a forms error raised
    there is raised here as the same class with the same message."""
    pool = _executor()
    if pool is None:
        return function(*args)
    try:
        outcome = pool.submit(_call, function, *args).result()
    except BrokenProcessPool:
        shutdown_pool()  # a worker died (killed, out of memory): a new pool next time
        return function(*args)
    if isinstance(outcome, _FormsFailure):
        raise outcome.rebuild()
    return outcome


class _FormsFailure:
    """A FormsError crossing the process boundary: their constructors take other arguments
    than the message, so the exception itself does not survive pickling."""

    def __init__(self, error: FormsError) -> None:
        self.kind = type(error)
        self.message = error.message

    def rebuild(self) -> FormsError:
        error = self.kind.__new__(self.kind)
        FormsError.__init__(error, self.message)
        return error


def _call(function: Callable[..., Any], *args: Any) -> Any:
    try:
        return function(*args)
    except FormsError as error:
        return _FormsFailure(error)
