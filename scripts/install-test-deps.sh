#!/usr/bin/env bash
# Install what the test suite needs on a fresh Debian 12 machine; safe to re-run (does nothing when done).
# Only Debian apt and the npm registry are used. No `playwright install`: browser downloads are not
# reachable here, so the browser tests drive Debian's /usr/bin/chromium instead.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
NODE_DIR=tests/clients/node

have_initdb() {
    # Debian keeps the server binaries off PATH, in /usr/lib/postgresql/<major>/bin.
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null
}

packages=()
if ! have_initdb || ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    packages+=(postgresql chromium chromium-driver)
fi
# wrk drives the benchmark harness; tests/bench runs its Lua scripts against a local server.
if ! command -v wrk >/dev/null; then
    packages+=(wrk)
fi
if [[ -f $NODE_DIR/package.json ]] && ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

if ((${#packages[@]})); then
    as_root=()
    if ((EUID != 0)); then
        # -n: never prompt; CI has no stdin and a password prompt would just hang.
        if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
            as_root=(sudo -n)
        else
            echo "==> not root and no passwordless sudo; please install: apt-get install ${packages[*]}" >&2
        fi
    fi
    if ((EUID == 0)) || ((${#as_root[@]})); then
        apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
        echo "==> apt-get update"
        "${apt[@]}" update -qq
        echo "==> installing Debian packages: ${packages[*]}"
        "${apt[@]}" install -y -qq --no-install-recommends "${packages[@]}"
        # The postgresql package may start Debian's default cluster; the tests run their own server.
        if [[ " ${packages[*]} " == *" postgresql "* ]] && command -v service >/dev/null; then
            "${as_root[@]}" service postgresql stop >/dev/null 2>&1 || true
        fi
    fi
else
    echo "==> Debian packages already present (postgresql, chromium, chromium-driver, wrk)"
fi

if [[ -f $NODE_DIR/package.json ]]; then
    if ! command -v npm >/dev/null; then
        echo "==> npm not available; skipping $NODE_DIR (install nodejs and npm)" >&2
    elif [[ -f $NODE_DIR/package-lock.json || -f $NODE_DIR/npm-shrinkwrap.json ]]; then
        # npm ci deletes node_modules first; skip it while npm's own record of the install is up to date.
        marker=$NODE_DIR/node_modules/.package-lock.json
        if [[ -f $marker && $marker -nt $NODE_DIR/package.json \
              && ! $NODE_DIR/package-lock.json -nt $marker ]]; then
            echo "==> npm packages in $NODE_DIR up to date"
        else
            echo "==> npm ci in $NODE_DIR"
            (cd "$NODE_DIR" && npm ci --no-audit --no-fund)
        fi
    else
        echo "==> npm install in $NODE_DIR (no lockfile)"
        (cd "$NODE_DIR" && npm install --no-audit --no-fund)
    fi
fi
