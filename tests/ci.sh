#!/usr/bin/env bash
# ci.sh: faultline's whole test suite, the README's second command.
#
#   bash tests/ci.sh
#
# CI runs it as root with CI=true on a fresh Debian 12 machine; a developer runs
# it as themselves. It
#   1. installs what is missing with apt (as root; otherwise prints the command),
#   2. builds five configurations with warnings as errors: gcc and clang, Release
#      and Debug, and AddressSanitizer + UndefinedBehaviorSanitizer under both,
#   3. runs every test (ctest) in gcc-release and in both sanitizer builds,
#   4. checks that every scenario gives the same fingerprint for the same seed in
#      every build and with tracing on (determinism across -O0/-O2, gcc/clang),
# and ends with one line, `N passed, M failed`, counting those steps. Exit status
# 0 if every step passed, 1 if one failed, 2 if the dependencies are missing.
#
# Builds live in build-ci/NAME, their logs in build-ci/NAME.log (printed only
# when a build fails). Builds are incremental: remove build-ci/ to start afresh.
set -u -o pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
readonly ROOT=$PWD
readonly OUT_DIR=build-ci

PACKAGES=(gcc clang cmake make pkg-config libc6-dev libxxhash-dev libcjson-dev libcmocka-dev
          libclang-rt-14-dev libsdl2-dev)

# name, compiler, then cmake options; FL_WERROR everywhere.
BUILDS=(gcc-release clang-asan gcc-debug clang-release gcc-asan)
declare -A BUILD_CC=([gcc-release]=gcc [clang-asan]=clang [gcc-debug]=gcc
                     [clang-release]=clang [gcc-asan]=gcc)
declare -A BUILD_OPTIONS=(
    [gcc-release]="-DCMAKE_BUILD_TYPE=Release -DFL_SANITIZE=OFF"
    [clang-asan]="-DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON"
    [gcc-debug]="-DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=OFF"
    [clang-release]="-DCMAKE_BUILD_TYPE=Release -DFL_SANITIZE=OFF"
    [gcc-asan]="-DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON"
)
CTEST_BUILDS=(gcc-release clang-asan gcc-asan)
SEEDS=(1 2 3)

# Sanitizers: leaks are errors, and the first report stops the program.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

declare -A BUILT=()     # name -> 1 when the build succeeded
STEP_RESULTS=()
passed=0
failed=0

section() { printf '\n== %s ==\n' "$*"; }

# record NAME OK SECONDS: count a step's outcome.
record() {
    local name=$1 ok=$2 seconds=$3
    if ((ok)); then
        STEP_RESULTS+=("ok      $name (${seconds}s)")
        passed=$((passed + 1))
        echo "-- ok: $name (${seconds}s)"
    else
        STEP_RESULTS+=("FAILED  $name (${seconds}s)")
        failed=$((failed + 1))
        echo "-- FAILED: $name (${seconds}s)"
    fi
}

# ---- 1. dependencies ----------------------------------------------------------

install_dependencies() {
    section "dependencies"
    if ! command -v dpkg >/dev/null 2>&1; then
        echo "not a Debian system (no dpkg): not checking packages; needs: ${PACKAGES[*]}"
        return 0
    fi
    local missing=() package
    for package in "${PACKAGES[@]}"; do
        dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' ||
            missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        echo "all installed: ${PACKAGES[*]}"
        return 0
    fi
    echo "missing: ${missing[*]}"
    local install=(apt-get install -y -q --no-install-recommends "${missing[@]}")
    if ((EUID != 0)); then
        echo "ci.sh: missing packages; install them as root, then run ci.sh again:" >&2
        echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive ${install[*]}" >&2
        exit 2
    fi
    export DEBIAN_FRONTEND=noninteractive
    local log=$OUT_DIR/apt.log
    echo "running: apt-get update && ${install[*]}  (log: $log)"
    if ! { apt-get update -q && "${install[@]}"; } >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "ci.sh: installing ${missing[*]} failed (log: $log)" >&2
        exit 2
    fi
}

print_tools() {
    section "tools"
    local tool
    for tool in gcc clang cmake; do
        if command -v "$tool" >/dev/null 2>&1; then
            printf '%-6s %s\n' "$tool" "$("$tool" --version | head -n 1)"
        else
            printf '%-6s not found\n' "$tool"
        fi
    done
}

# ---- 2. builds ----------------------------------------------------------------

build() {
    local name=$1 start=$SECONDS ok=1
    local dir=$OUT_DIR/$name log=$OUT_DIR/$name.log
    section "build $name"
    local options
    read -r -a options <<<"${BUILD_OPTIONS[$name]}"
    echo "CC=${BUILD_CC[$name]} cmake -S . -B $dir -DFL_WERROR=ON ${options[*]}"
    {
        CC=${BUILD_CC[$name]} cmake -S . -B "$dir" -DFL_WERROR=ON "${options[@]}" &&
            cmake --build "$dir" -j2
    } >"$log" 2>&1 || ok=0
    if ((ok)) && [[ ! -x $dir/faultline ]]; then
        echo "the build succeeded but $dir/faultline is missing" >>"$log"
        ok=0
    fi
    if ((ok)); then
        BUILT[$name]=1
    else
        echo "build log ($log), last 100 lines:"
        tail -n 100 "$log"
    fi
    record "build $name" $ok $((SECONDS - start))
}

# ---- 3. tests -----------------------------------------------------------------

run_ctest() {
    local name=$1 start=$SECONDS ok=1
    section "ctest $name"
    if [[ -z ${BUILT[$name]:-} ]]; then
        echo "not run: the $name build failed"
        record "ctest $name" 0 0
        return
    fi
    (cd "$OUT_DIR/$name" && ctest --output-on-failure --no-tests=error --timeout 300 -j2) ||
        ok=0
    record "ctest $name" $ok $((SECONDS - start))
}

# ---- 4. determinism across builds ---------------------------------------------

# fingerprint BINARY ARGS...: run one seed, print the fingerprint; on an exit
# status other than 0 (checks held) or 1 (a check failed), or no fingerprint,
# print the error and return 1.
fingerprint() {
    local binary=$1 output status fp
    shift
    output=$("$binary" run "$@" --json 2>"$DET_TMP/stderr")
    status=$?
    fp=$(grep -o '"fingerprint":"[0-9a-f]*"' <<<"$output" | head -n 1 | cut -d'"' -f4)
    if ((status != 0 && status != 1)) || [[ ! $fp =~ ^[0-9a-f]{16}$ ]]; then
        {
            echo "FAIL: $binary run $* --json: exit status $status, fingerprint \"$fp\""
            sed 's/^/    /' "$DET_TMP/stderr" | head -n 20
        } >&3 # the caller captures stdout; fd 3 is the terminal's stdout
        return 1
    fi
    echo "$fp"
}

determinism() {
    local start=$SECONDS ok=1 name file seed fp runs=0
    section "determinism across builds"
    local builds=()
    for name in "${BUILDS[@]}"; do
        if [[ -n ${BUILT[$name]:-} ]]; then
            builds+=("$name")
        else
            echo "FAIL: no $name binary to compare (its build failed)"
            ok=0
        fi
    done
    if ((${#builds[@]} < 2)); then
        echo "not run: needs at least two builds"
        record "determinism" 0 $((SECONDS - start))
        return
    fi
    # The traced run: gcc-release's, or the first build's if that one failed.
    local traced=gcc-release
    [[ -n ${BUILT[$traced]:-} ]] || traced=${builds[0]}
    DET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/faultline-ci.XXXXXX") || {
        record "determinism" 0 0
        return
    }
    local scenarios=()
    while IFS= read -r -d '' file; do scenarios+=("$file"); done \
        < <(find scenarios -type f -name '*.json' -print0 | sort -z)
    if ((${#scenarios[@]} == 0)); then
        echo "FAIL: no scenarios/**/*.json"
        ok=0
    fi
    declare -A result=()
    for file in "${scenarios[@]}"; do
        for seed in "${SEEDS[@]}"; do
            local fps=() labels=()
            for name in "${builds[@]}"; do
                fp=$(fingerprint "$OUT_DIR/$name/faultline" "$file" --seed "$seed") || fp="error"
                fps+=("$fp")
                labels+=("$name=$fp")
                runs=$((runs + 1))
            done
            fp=$(fingerprint "$OUT_DIR/$traced/faultline" "$file" --seed "$seed" \
                --trace "$DET_TMP/trace.jsonl") || fp="error"
            fps+=("$fp")
            labels+=("$traced+trace=$fp")
            runs=$((runs + 1))
            result["$file $seed"]=${fps[0]}
            local distinct
            distinct=$(printf '%s\n' "${fps[@]}" | sort -u | wc -l)
            if [[ " ${fps[*]} " == *" error "* ]]; then
                echo "FAIL: $file --seed $seed: a run failed; fingerprints:"
                printf '    %s\n' "${labels[@]}"
                ok=0
            elif ((distinct != 1)); then
                echo "FAIL: $file --seed $seed: fingerprints differ between builds:"
                printf '    %s\n' "${labels[@]}"
                ok=0
            else
                echo "same   $file --seed $seed: ${fps[0]} (${#fps[@]} runs)"
            fi
        done
    done
    # Different seeds must explore different runs.
    local partition=scenarios/echo/partition.json
    if [[ -f $partition ]]; then
        local a=${result["$partition 1"]:-} b=${result["$partition 2"]:-}
        local c=${result["$partition 3"]:-}
        if [[ -z $a || $a == "$b" || $a == "$c" || $b == "$c" ]]; then
            echo "FAIL: $partition: seeds 1, 2, 3 must give three different fingerprints," \
                "got $a, $b, $c"
            ok=0
        else
            echo "differ $partition seeds 1 2 3: $a $b $c"
        fi
    else
        echo "FAIL: $partition is missing"
        ok=0
    fi
    rm -rf "$DET_TMP"
    echo "$runs runs of ${#scenarios[@]} scenarios x ${#SEEDS[@]} seeds on: ${builds[*]}"
    record "determinism" $ok $((SECONDS - start))
}

# ---- main -----------------------------------------------------------------------

mkdir -p "$OUT_DIR" || exit 2
exec 3>&1
echo "faultline ci: $ROOT${CI:+ (CI=$CI)}"
install_dependencies
print_tools
for name in "${BUILDS[@]}"; do build "$name"; done
for name in "${CTEST_BUILDS[@]}"; do run_ctest "$name"; done
determinism

section "summary"
printf '%s\n' "${STEP_RESULTS[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
