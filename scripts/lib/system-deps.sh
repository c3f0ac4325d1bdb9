# shellcheck shell=bash
# Debian packages that the tests and benchmarks need. Meant to be sourced:
#
#   source scripts/lib/system-deps.sh
#   ensure_system_packages || exit 1                          # everything the tests need
#   ensure_system_packages "${VAULT_RUNTIME_PACKAGES[@]}"     # what the vault itself runs with
#
# It only touches apt when something is missing, so a warm machine pays one dpkg-query.

VAULT_SYSTEM_PACKAGES=(
    tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd  # OCR, Vietnamese + page orientation
    fonts-dejavu-core fonts-noto-core                  # fonts with Vietnamese glyphs
    softhsm2                                           # PKCS#11 token for signing tests
    poppler-utils                                      # pdfsig, pdftoppm
    libnss3-tools                                      # certutil for pdfsig's trust store
    chromium                                           # browser tests (Playwright)
    postgresql-client                                  # psql, pg_isready, createdb
)

# OCR, the signing stamp's fonts and the development signing token: `./scripts/run`.
VAULT_RUNTIME_PACKAGES=(
    tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd fonts-dejavu-core fonts-noto-core softhsm2
)

ensure_system_packages() {
    local pkg missing=() wanted=("$@")
    ((${#wanted[@]})) || wanted=("${VAULT_SYSTEM_PACKAGES[@]}")
    for pkg in "${wanted[@]}"; do
        # "install ok installed" is the only state in which the files are really there.
        if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" != "install ok installed" ]]; then
            missing+=("$pkg")
        fi
    done
    if ((${#missing[@]} == 0)); then
        echo "system packages: all ${#wanted[@]} present"
        return 0
    fi

    # sudo resets the environment, so DEBIAN_FRONTEND goes through env(1).
    local as_root=(env DEBIAN_FRONTEND=noninteractive)
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "error: missing Debian packages and not root (no sudo): ${missing[*]}" >&2
            return 1
        fi
        as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
    fi

    echo "system packages: installing ${missing[*]}"
    # Keep apt's chatter in a file and show it only when something fails. The lock timeout
    # lets a second script (test + bench started together) wait instead of failing.
    local log rc=0
    log="$(mktemp)"
    "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -q >"$log" 2>&1 &&
        "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -q \
            --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        echo "error: apt-get failed (exit $rc) installing: ${missing[*]}" >&2
        tail -n 30 "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
    echo "system packages: installed ${#missing[@]}"
}
