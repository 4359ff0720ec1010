"""Prefilled forms: A4 PDFs and receipt images rendered from the canonical visit record.

Uses only ``contracts`` (docs/architecture.md). Layouts are data (``forms/layouts/*.yaml``).
"""

from forms.errors import FormsError
from forms.layout import form_names, load_layout
from forms.pdf import Rendered, document_hash, document_hashes, render_form

__all__ = [
    "FormsError",
    "Rendered",
    "document_hash",
    "document_hashes",
    "form_names",
    "load_layout",
    "render_form",
]
