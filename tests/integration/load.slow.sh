# shellcheck shell=bash disable=SC2154  # $out $err $rc are set by capture() in lib/common.sh
# Load (issue 8, item 4): 50 concurrent create + start + wait + delete
# cycles, per sandbox, without an error and without leftovers.  Two rounds
# here to fit the suite's time; bench/load.sh runs the full 50 x 10 with
# runc beside (bench/README.md has the figures).
# test-timeout: 400

LOAD_CONC=50
LOAD_ROUNDS=2

# load_cycle SANDBOX BUNDLE ID DIR: one cycle; writes "ok" or "error STEP"
# to DIR/ID.res and the commands' output to DIR/ID.log.
load_cycle() {
        local sb=$1 bundle=$2 id=$3 dir=$4 c pid
        c=("$COCOON" --root "$ROOT" --sandbox "$sb")
        {
                "${c[@]}" create --bundle "$bundle" --pid-file "$dir/$id.pid" "$id" || { echo "error create" >"$dir/$id.res"; return; }
                pid=$(cat "$dir/$id.pid")
                "${c[@]}" start "$id" || { echo "error start" >"$dir/$id.res"; return; }
                # /bin/true exits at once; under sentry the supervisor follows it
                for _ in $(seq 1 1200); do
                        pid_alive "$pid" || break
                        sleep 0.05
                done
                pid_alive "$pid" && { echo "error wait" >"$dir/$id.res"; return; }
                "${c[@]}" delete "$id" || { echo "error delete" >"$dir/$id.res"; return; }
                echo ok >"$dir/$id.res"
        } >"$dir/$id.log" 2>&1
}

load_rounds() {
        local sb=$1 B=$T/b n id bad="" mounts0
        make_bundle "$B" /bin/true
        mounts0=$(wc -l </proc/self/mountinfo)
        for n in $(seq 1 $LOAD_ROUNDS); do
                mkdir -p "$T/r$n"
                local ids=()
                for _ in $(seq 1 $LOAD_CONC); do
                        id=$(new_id "$sb")
                        ids+=("$id")
                        load_cycle "$sb" "$B" "$id" "$T/r$n" &
                done
                wait
                for id in "${ids[@]}"; do
                        [ "$(cat "$T/r$n/$id.res" 2>/dev/null)" = ok ] ||
                                bad+="
round $n $id: $(cat "$T/r$n/$id.res" 2>/dev/null): $(head -c 400 "$T/r$n/$id.log")"
                done
                [ -z "$bad" ] || fail "failed cycles under $sb:$bad"
                assert_ok cocoon list -q
                assert_eq "" "$out" "containers left after round $n"
        done
        assert_eq "$mounts0" "$(wc -l </proc/self/mountinfo)" "host mount count after the rounds"
        [ -z "$(ls -A "$ROOT")" ] || fail "state left: $(ls -A "$ROOT")"
        [ -z "$(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$TOKEN*" 2>/dev/null)" ] ||
                fail "cgroups left: $(find /sys/fs/cgroup -maxdepth 6 -type d -name "*$TOKEN*" | head -n 3)"
}

test_load_fifty_concurrent_cycles_none() { load_rounds none; }
test_load_fifty_concurrent_cycles_sentry() { load_rounds sentry; }
