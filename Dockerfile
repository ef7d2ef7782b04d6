# cxbot: slim runtime image, non-root, translations compiled at build time.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE babel.cfg ./
COPY bot ./bot
COPY storage ./storage
COPY locales ./locales
RUN pip install --no-cache-dir build babel \
    && python -m babel.messages.frontend compile -D cxbot -d locales \
    && python -m build --wheel --outdir /wheels

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CXBOT_DATABASE_URL=sqlite+aiosqlite:////data/cxbot.sqlite3
RUN useradd --create-home --uid 10001 cxbot && mkdir /data && chown cxbot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER cxbot
WORKDIR /home/cxbot
VOLUME ["/data"]
# `cxbot webhook --listen 0.0.0.0 --port 8443 --url …` serves here (`cxbot run` needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=90s --retries=3 CMD ["cxbot", "health"]
CMD ["cxbot", "run"]
