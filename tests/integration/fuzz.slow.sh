# libFuzzer harnesses (tests/fuzz/, docs/fuzzing.md): each test builds its
# harness if needed (clang, into build/fuzz/), replays the committed corpus
# and tests/fuzz/regressions/<harness>/, then fuzzes for FUZZ_SECONDS (10)
# with FUZZ_JOBS (2) processes, one per CPU of the CI machine: as many inputs
# as 20 s of one process, in half the suite's time.  A crash fails the test
# with the report and the crashing input.
# The first test may build the clang copy of the library (about 1.5 min on
# a busy 2-core machine; `make test` builds it beforehand).
# test-timeout: 300

fuzz_harness() {
        local h=$1 src
        src=$(cd "$TESTS_DIR/.." && pwd)
        command -v "${FUZZ_CC:-clang}" >/dev/null || skip "clang is not installed (scripts/deps.sh fuzz)"
        make -C "$src" --no-print-directory -s fuzz-build >"$T/build.log" 2>&1 ||
                fail "building the fuzzers failed: $(tail -n 20 "$T/build.log")"
        FUZZ_JOBS=${FUZZ_JOBS:-2} bash "$src/tests/fuzz/run.sh" "$h" "${FUZZ_SECONDS:-10}" "$src/build/fuzz" "$T/work"
}

test_fuzz_spec() { fuzz_harness fuzz_spec; }
test_fuzz_gofer_protocol() { fuzz_harness fuzz_gofer_protocol; }
test_fuzz_path() { fuzz_harness fuzz_path; }
test_fuzz_agent_protocol() { fuzz_harness fuzz_agent_protocol; }
