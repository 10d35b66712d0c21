# syntax=docker/dockerfile:1
# golive: one process serving Slack, Teams and the scheduler.
# Configuration comes only from the environment (see README.md).

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY storage ./storage
RUN python -m venv /opt/golive \
    && /opt/golive/bin/pip install --no-compile -c constraints.txt .

FROM python:3.11-slim
ENV PATH=/opt/golive/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GOLIVE_HOST=0.0.0.0 \
    GOLIVE_PORT=3978 \
    DATABASE_URL=sqlite:////data/golive.db
RUN useradd --system --uid 10001 --home-dir /data --create-home golive
COPY --from=build /opt/golive /opt/golive
USER 10001
WORKDIR /data
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GOLIVE_PORT', '3978'), timeout=4)"]
# Migrations run on start: `golive serve` upgrades the database before it listens.
CMD ["golive", "serve"]
