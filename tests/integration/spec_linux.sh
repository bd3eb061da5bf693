# shellcheck shell=bash
# The smaller linux.* / process.* fields of the spec, each through the
# binary with its failure paths: linux.intelRdt, linux.sysctl,
# linux.personality, process.scheduler, process.ioPriority.  (Success paths
# read from inside are in isolation.sh; here the host reads them back.)

# sl_fail PYTHON-EDIT... : `cocoon run` must fail with exactly one line and
# leave no container; $err holds the line.
sl_fail() {
        B=$T/b
        rm -rf "$B"
        make_bundle "$B" /bin/true
        edit_config "$B" "$@"
        local id
        id=$(new_id sl)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_eq "" "$(cocoon list -q)" "containers left"
}

# sl_created PYTHON-EDIT... : a created container running `sleep`; $ID, $PID.
sl_created() {
        B=$T/b
        make_bundle "$B" /bin/sleep 100
        edit_config "$B" "$@"
        ID=$(new_id sl)
        create_ctr "$B" "$ID"
        PID=$(init_pid "$ID")
}

test_intelrdt_needs_resctrl() {
        [ ! -d /sys/fs/resctrl/info ] || skip "resctrl is mounted here: the error path cannot be tested"
        sl_fail 'c["linux"]["intelRdt"]={"closID":"guaranteed","l3CacheSchema":"L3:0=7f"}'
        assert_contains "$err" "config.json: linux.intelRdt: Intel RDT is not available on this host (resctrl is not mounted)"
        # runc refuses it as well
        local id rout
        id=$(new_id rr)
        set_args "$B" /bin/true
        if rout=$(runc_ref run --bundle "$B" "$id" 2>&1); then
                fail "runc accepted intelRdt without resctrl"
        fi
        note "runc: $rout"
}

test_sysctl_not_namespaced_refused() {
        sl_fail 'c["linux"]["sysctl"]={"kernel.panic":"10"}'
        assert_contains "$err" 'linux.sysctl: "kernel.panic" is not namespaced and would change the host'
}

test_sysctl_needs_own_namespace() {
        sl_fail 'c["linux"]["namespaces"]=[n for n in c["linux"]["namespaces"] if n["type"]!="network"]' \
                'c["linux"]["sysctl"]={"net.ipv4.ip_forward":"1"}'
        assert_contains "$err" 'linux.sysctl: "net.ipv4.ip_forward" requires the container'"'"'s own network namespace'
}

test_sysctl_unknown_key() {
        sl_fail 'c["linux"]["sysctl"]={"net.ipv4.no_such_knob":"1"}'
        assert_contains "$err" 'linux.sysctl: set net.ipv4.no_such_knob to "1": No such file or directory'
}

test_sysctl_slash_form() {
        B=$T/b
        make_bundle "$B" /bin/cat /proc/sys/net/ipv4/ip_default_ttl
        edit_config "$B" 'c["linux"]["sysctl"]={"net/ipv4/ip_default_ttl":"33"}'
        local id
        id=$(new_id sl)
        assert_ok cocoon run --bundle "$B" "$id"
        assert_eq 33 "$out"
}

test_personality_errors() {
        sl_fail 'c["linux"]["personality"]={"domain":"LINUX64"}'
        assert_contains "$err" 'linux.personality.domain: "LINUX64" (LINUX or LINUX32)'
        sl_fail 'c["linux"]["personality"]={"domain":"LINUX32","flags":["ADDR_NO_RANDOMIZE"]}'
        assert_contains "$err" "linux.personality.flags: no flags are supported"
}

test_personality_read_from_host() {
        sl_created 'c["linux"]["personality"]={"domain":"LINUX32"}'
        assert_eq 00000008 "$(cat "/proc/$PID/personality")" "PER_LINUX32 of the init"
        assert_ok cocoon delete -f "$ID"
}

test_scheduler_read_from_host() {
        sl_created 'c["process"]["scheduler"]={"policy":"SCHED_BATCH","nice":7}'
        assert_contains "$(chrt -p "$PID")" "SCHED_BATCH" "chrt -p of the init"
        assert_eq 7 "$(cut -d' ' -f19 "/proc/$PID/stat")" "nice"
        assert_ok cocoon delete -f "$ID"
}

# The runtime sets the scheduler while still privileged (as runc 1.2 does),
# so a negative nice works for a user without CAP_SYS_NICE.  (A real-time
# policy also needs cpu.rt_runtime_us in the container's cgroup on a
# CONFIG_RT_GROUP_SCHED kernel such as this one: EPERM otherwise, as runc.)
test_scheduler_nice_unprivileged_user() {
        sl_created 'c["process"]["scheduler"]={"policy":"SCHED_OTHER","nice":-5}' \
                'c["process"]["user"]={"uid":1000,"gid":1000}' 'c["process"]["capabilities"]={}'
        assert_contains "$(chrt -p "$PID")" "SCHED_OTHER" "chrt -p"
        assert_eq -5 "$(cut -d' ' -f19 "/proc/$PID/stat")" "nice"
        assert_eq 1000 "$(awk '/^Uid:/{print $2}' "/proc/$PID/status")" "uid"
        assert_eq 0000000000000000 "$(awk '/^CapEff:/{print $2}' "/proc/$PID/status")" "no effective capabilities"
        assert_ok cocoon delete -f "$ID"
}

test_scheduler_errors() {
        sl_fail 'c["process"]["scheduler"]={"policy":"SCHED_NOPE"}'
        assert_contains "$err" 'process.scheduler.policy: unknown policy "SCHED_NOPE"'
        # a real-time policy needs a priority in 1..99: the kernel says EINVAL
        sl_fail 'c["process"]["scheduler"]={"policy":"SCHED_FIFO","priority":0}'
        assert_contains "$err" "process.scheduler: sched_setattr(SCHED_FIFO): Invalid argument"
        sl_fail 'c["process"]["scheduler"]={"policy":"SCHED_BATCH","flags":["SCHED_FLAG_BOGUS"]}'
        assert_contains "$err" "process.scheduler.flags[0]: unknown flag"
}

test_io_priority_read_from_host() {
        sl_created 'c["process"]["ioPriority"]={"class":"IOPRIO_CLASS_BE","priority":6}'
        assert_eq "best-effort: prio 6" "$(ionice -p "$PID")" "ionice -p of the init"
        assert_ok cocoon delete -f "$ID"
}

test_io_priority_errors() {
        sl_fail 'c["process"]["ioPriority"]={"class":"IOPRIO_CLASS_FAST","priority":0}'
        assert_contains "$err" 'process.ioPriority.class: unknown class "IOPRIO_CLASS_FAST"'
        sl_fail 'c["process"]["ioPriority"]={"class":"IOPRIO_CLASS_BE","priority":8}'
        assert_contains "$err" "process.ioPriority.priority: 8 is not in 0..7"
}
