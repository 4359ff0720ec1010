"""A municipality's own form layouts: uploaded, previewed with an invented household,
activated; a form without one uses the built-in layout (``forms/layouts``)."""
