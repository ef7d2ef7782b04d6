#!/usr/bin/env bash
# Makes, without a container builder, the file system the Dockerfile makes, measures it and runs
# the bot in it: the manual check of the image where no builder runs (CI's machine has none).
#
#   sudo PYTHON=python3.13 scripts/image_check.sh [WORKDIR]
#
# Needs root (chroot), apt-get and dpkg-deb (Debian or Ubuntu), and a CPython 3.13 with pip:
# the runtime image's Python is Debian 13's 3.13, so the wheels must be built for 3.13.
#  1. the runtime base: the Debian 13 packages gcr.io/distroless/python3-debian13 is made of
#     (its static, base, cc and python3 package lists), fetched with a private apt
#     configuration and unpacked;
#  2. /deps and /app exactly as the Dockerfile's two stages make them (pip install --target,
#     then scripts/slim_image.py), /data owned by 65532;
#  3. the sizes of the three parts, as a tar archive of each (what a layer is);
#  4. as user 65532 with the image's environment: `db upgrade`, `health` and the offline demo
#     (every persona through the whole journey: charts, poster, certificate, calendar).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/cxbot-image}
PYTHON=${PYTHON:-python3.13}
RELEASE=trixie

"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 13), sys.version' || {
    echo "PYTHON must be a CPython 3.13 (the runtime image's)" >&2
    exit 2
}
[ "$(id -u)" = 0 ] || { echo "run as root (chroot)" >&2; exit 2; }

PACKAGES=(
    # static
    base-files netbase tzdata tzdata-legacy media-types ca-certificates
    # base, cc
    libc6 libssl3t64 libzstd1 zlib1g libgomp1 libstdc++6 libgcc-s1 gcc-14-base
    # python3
    libbz2-1.0 libdb5.3t64 libexpat1 liblzma5 libsqlite3-0 libuuid1 libncursesw6 libtinfo6
    libcom-err2 libcrypt1 libc-bin libgssapi-krb5-2 libk5crypto3 libkeyutils1 libkrb5-3
    libkrb5support0 libnsl2 libreadline8t64 libtirpc3t64 libffi8 libpython3.13-minimal
    libpython3.13-stdlib python3.13-minimal python3.13-venv
)

if [ -e "$WORK" ] && [ ! -e "$WORK/.cxbot-image-check" ]; then
    echo "$WORK exists and was not made by this script: name another directory" >&2
    exit 2
fi
rm -rf "$WORK" && mkdir -p "$WORK"/{apt/lists/partial,apt/cache/archives/partial,debs,rootfs,src}
touch "$WORK/.cxbot-image-check"
cat > "$WORK/apt/sources.list" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $RELEASE main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $RELEASE-security main
EOF
touch "$WORK/apt/status"
cat > "$WORK/apt/apt.conf" <<EOF
Dir::State "$WORK/apt";
Dir::State::Lists "$WORK/apt/lists";
Dir::State::status "$WORK/apt/status";
Dir::Cache "$WORK/apt/cache";
Dir::Etc::SourceList "$WORK/apt/sources.list";
Dir::Etc::SourceParts "/nonexistent";
APT::Architecture "$(dpkg --print-architecture)";
APT::Sandbox::User "root";
EOF
export APT_CONFIG="$WORK/apt/apt.conf"
apt-get -qq update
(cd "$WORK/debs" && apt-get -qq download "${PACKAGES[@]}")
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/rootfs"; done
ln -sf python3.13 "$WORK/rootfs/usr/bin/python3"
ln -sf python3.13 "$WORK/rootfs/usr/bin/python"
mkdir -p "$WORK/rootfs/home/nonroot" && chown 65532:65532 "$WORK/rootfs/home/nonroot"
chmod 1777 "$WORK/rootfs/tmp"
base=$(tar -C "$WORK/rootfs" -cf - . | wc -c)

# The deps stage.
"$PYTHON" -m pip install -q --no-cache-dir --no-compile --target "$WORK/rootfs/deps" \
    -r "$ROOT/requirements.lock"
"$PYTHON" "$ROOT/scripts/slim_image.py" "$WORK/rootfs/deps"
mkdir -p "$WORK/rootfs/data" && chown 65532:65532 "$WORK/rootfs/data"

# The app stage: the files the Dockerfile copies, translations compiled with the locked Babel.
(cd "$ROOT" && cp -r pyproject.toml README.md LICENSE babel.cfg bot storage locales "$WORK/src/")
mkdir -p "$WORK/src/scripts" && cp "$ROOT/scripts/slim_image.py" "$WORK/src/scripts/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
"$PYTHON" -m pip install -q --no-cache-dir --target "$WORK/babel" \
    "$(grep -i '^babel==' "$ROOT/requirements.lock")"
(cd "$WORK/src" && PYTHONPATH="$WORK/babel" "$PYTHON" -m babel.messages.frontend compile \
    -D cxbot -d locales >/dev/null 2>&1)
"$PYTHON" -m pip install -q --no-cache-dir --no-compile --no-deps --target "$WORK/rootfs/app" \
    "$WORK/src"
"$PYTHON" "$WORK/src/scripts/slim_image.py" "$WORK/rootfs/app"

deps=$(tar -C "$WORK/rootfs" -cf - deps | wc -c)
app=$(tar -C "$WORK/rootfs" -cf - app data | wc -c)
python3 - "$base" "$deps" "$app" <<'EOF'
import sys
base, deps, app = map(int, sys.argv[1:])
for name, size in (("runtime base", base), ("dependencies", deps), ("bot", app),
                   ("image", base + deps + app)):
    print(f"{name:>13}: {size / 2**20:6.1f} MiB ({size / 1e6:6.1f} MB)")
EOF

# The image's environment (Dockerfile ENV) and user.
run() {
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/home/nonroot LANG=C.UTF-8 PYTHONPATH=/app:/deps \
        PYTHONPYCACHEPREFIX=/tmp/pycache PYTHONSAFEPATH=1 PYTHONUNBUFFERED=1 \
        CXBOT_DATABASE_URL=sqlite+aiosqlite:////data/cxbot.sqlite3 \
        chroot --userspec=65532:65532 "$WORK/rootfs" /usr/bin/python3 -m bot "$@"
}
run db upgrade
run health
run demo > "$WORK/demo.log" 2>&1 || { tail -30 "$WORK/demo.log"; exit 1; }
tail -1 "$WORK/demo.log"
grep -c '📎' "$WORK/demo.log" | xargs echo "documents sent in the demo:"
du -sh "$WORK/rootfs/tmp/pycache" | cut -f1 | xargs echo "bytecode written at the first start:"
