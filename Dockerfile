# syntax=docker/dockerfile:1
# cxbot: slim runtime image, non-root, translations compiled at build time.
#
# The base is pinned to a patch release; to pin its digest too, replace the tag by
# python:3.11.11-slim-bookworm@sha256:<digest> (`docker buildx imagetools inspect` shows it).
# Layers: the dependencies come from requirements.lock alone, so a change to the bot's code
# rebuilds only the last layers. The wheels are mounted from the build stage, never copied:
# a copied file stays in its layer (and in the image's size) even when a later step deletes
# it. Babel's locale data is kept for English and German only (about 30 MB less).
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
# The dependency layer: rebuilt only when requirements.lock changes. Babel keeps the locale
# data the bot reads: English, German, and the languages of the eligible countries (their
# own names for themselves: "Polska", "Sverige"); tests/unit/test_packaging.py checks it.
ARG BABEL_LOCALES="root en* de* be bg bs ca cs da el es et eu fi fr ga gl hr hu hy is it lb lt lv mk mt nb nl nn no pl pt ro ru sk sl sq sr sr_Latn sv tr uk"
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl \
    && python -c "import babel, fnmatch, os, pathlib; \
keep = os.environ['BABEL_LOCALES'].split(); \
data = pathlib.Path(babel.__file__).parent / 'locale-data'; \
[p.unlink() for p in data.glob('*.dat') if not any(fnmatch.fnmatch(p.stem, k) for k in keep)]"
# The bot itself, without resolving anything again.
RUN --mount=type=bind,from=build,source=/dist,target=/dist \
    pip install --no-cache-dir --no-deps /dist/*.whl
USER cxbot
WORKDIR /home/cxbot
VOLUME ["/data"]
# `cxbot webhook --listen 0.0.0.0 --port 8443 --url …` serves here (`cxbot run` needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=90s --retries=3 CMD ["cxbot", "health"]
CMD ["cxbot", "run"]
