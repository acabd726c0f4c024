#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for SECONDS, one at a
# time (one job: the machine is shared). Usage:
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      TARGET: lst state yaml (default: all)
# The seed corpus (tests/fuzz/corpus/TARGET) is copied to BUILD/corpus/TARGET, which grows
# across runs; the full output is BUILD/fuzz-TARGET.log; a crash is saved under
# BUILD/artifacts/TARGET/ and fails the script. Make each
# crash a regression: copy it to tests/fuzz/regressions/TARGET/ (replayed by ctest).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(lst state yaml)
build="${PORTWATCH_FUZZ_BUILD:-build-fuzz}"
cxx="${CXX_FUZZ:-clang++}"
flags=(-std=c++20 -O1 -g1 -fno-omit-frame-pointer -Isrc -fsanitize=address,undefined
       -fno-sanitize-recover=all)
mkdir -p "$build/obj"

# The parsers and what they use, compiled once with coverage instrumentation.
# Whole layers rather than a hand-kept list of files (which went stale as files were
# split): config, eval, util, and the store without SQLite (its registry opens SQLite too).
sources=(src/util/*.cpp src/config/*.cpp src/eval/*.cpp)
for src in src/store/*.cpp; do
    case $src in src/store/sqlite*.cpp | src/store/registry.cpp) ;; *) sources+=("$src") ;; esac
done
# Two compiles at a time (the machine's two cores); a failed compile fails the script.
objects=()
pids=()
for src in "${sources[@]}"; do
    obj="$build/obj/$(echo "$src" | tr / _).o"
    if [[ ! -f $obj || $src -nt $obj ]] || find src -name '*.hpp' -newer "$obj" | grep -q .; then
        while (($(jobs -rp | wc -l) >= 2)); do
            wait -n
        done
        "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" &
        pids+=($!)
    fi
    objects+=("$obj")
done
for pid in "${pids[@]}"; do
    wait "$pid"
done

status=0
for t in "${targets[@]}"; do
    [[ $t == yaml && ! -f src/config/yaml.cpp ]] && { echo "== $t: no src/config/yaml.cpp, skipped"; continue; }
    bin="$build/${t}_fuzz"
    "$cxx" "${flags[@]}" -fsanitize=fuzzer "tests/fuzz/${t}_fuzz.cpp" "${objects[@]}" \
        -lfmt -lyaml-cpp -lsimdjson -o "$bin"
    corpus="$build/corpus/$t"
    artifacts="$build/artifacts/$t"
    mkdir -p "$corpus" "$artifacts"
    cp -n tests/fuzz/corpus/"$t"/* tests/fuzz/regressions/"$t"/* "$corpus"/ 2>/dev/null || true
    echo "== fuzz $t for ${seconds} s"
    if ! (cd "$build" && ASAN_OPTIONS=detect_leaks=1 \
            "./${t}_fuzz" -max_total_time="$seconds" -max_len=65536 \
            -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="artifacts/$t/" "corpus/$t" 2>&1 | tee "fuzz-$t.log" | tail -n 25); then
        status=1
    fi
    if compgen -G "$artifacts/*" >/dev/null; then
        echo "== $t: crash inputs in $artifacts:"; ls -l "$artifacts"
        status=1
    fi
done
exit $status
