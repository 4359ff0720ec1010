# syntax=docker/dockerfile:1
# Build: the locked Python environment in a builder stage; run: a slim image with the fonts and
# PC/SC libraries the forms and the card reader need, as a non-root user.
FROM python:3.11-slim-bookworm AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc swig libpcsclite-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY backend backend
COPY contracts contracts
COPY forms forms
COPY hardware hardware
COPY integrations integrations
COPY kiosk kiosk
COPY alembic.ini ./
RUN uv sync --frozen --no-dev

FROM python:3.11-slim-bookworm AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpcsclite1 pcscd fonts-ipaexfont fonts-ipamj-mincho fonts-noto-cjk fonts-wqy-microhei poppler-utils curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 madoguchi
WORKDIR /app
COPY --from=builder --chown=madoguchi:madoguchi /app /app
ENV PATH="/app/.venv/bin:$PATH" \
    MADOGUCHI_HOST=0.0.0.0 \
    MADOGUCHI_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown madoguchi:madoguchi /data
USER madoguchi
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["sh", "-c", "madoguchi db upgrade && madoguchi serve"]
