# cxbot: slim runtime image, non-root, translations compiled at build time.
#
# The base is pinned to a patch release; to pin its digest too, replace the tag by
# python:3.11.11-slim-bookworm@sha256:<digest> (`docker buildx imagetools inspect` shows it).
# Layers: the dependencies come from requirements.lock alone, so a change to the bot's code
# rebuilds only the last layers.
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY requirements.lock ./
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml README.md LICENSE babel.cfg ./
COPY bot ./bot
COPY storage ./storage
COPY locales ./locales
RUN pip install --no-cache-dir build babel \
    && python -m babel.messages.frontend compile -D cxbot -d locales \
    && python -m build --wheel --outdir /dist

FROM python:3.11.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    CXBOT_DATABASE_URL=sqlite+aiosqlite:////data/cxbot.sqlite3
RUN useradd --create-home --uid 10001 cxbot && mkdir /data && chown cxbot /data
# The dependency layer: rebuilt only when requirements.lock changes.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
# The bot itself, without resolving anything again.
COPY --from=build /dist /dist
RUN pip install --no-cache-dir --no-deps /dist/*.whl && rm -rf /dist
USER cxbot
WORKDIR /home/cxbot
VOLUME ["/data"]
# `cxbot webhook --listen 0.0.0.0 --port 8443 --url …` serves here (`cxbot run` needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=90s --retries=3 CMD ["cxbot", "health"]
CMD ["cxbot", "run"]
