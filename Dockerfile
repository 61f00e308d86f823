# syntax=docker/dockerfile:1
# Ratmas in a container: `docker build -t ratmas .`, then see compose.yaml or the
# README's "Docker" section. The token only ever comes from the environment.

# --- build: install ratmas and its pinned dependencies into a venv -------------------
FROM python:3.12-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY ratmas ./ratmas
COPY jobs ./jobs
COPY migrations ./migrations
# Every dependency is pinned by constraints.txt (the same pins as the tests).
RUN python -m venv /opt/ratmas \
    && /opt/ratmas/bin/pip install --constraint constraints.txt . \
    && /opt/ratmas/bin/ratmas --help > /dev/null

# --- run: the venv only, as a user without privileges -------------------------------
FROM python:3.12-slim
ENV PATH=/opt/ratmas/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 ratmas \
    && useradd --system --uid 10001 --gid ratmas --home-dir /app --no-create-home ratmas \
    && mkdir -p /app/data \
    && chown ratmas:ratmas /app/data
COPY --from=build /opt/ratmas /opt/ratmas
# The default database, sqlite://data/ratmas.sqlite, is relative to the working
# directory: /app/data/ratmas.sqlite, on the volume. DATABASE_URL overrides it.
WORKDIR /app
VOLUME ["/app/data"]
USER 10001:10001
# `ratmas run` stops within about ten seconds of SIGTERM (docker stop's default grace).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["ratmas", "health", "--max-age", "60"]
CMD ["ratmas", "run"]
