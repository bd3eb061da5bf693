# shellcheck shell=bash
# process.apparmorProfile, process.selinuxLabel, linux.mountLabel on a host
# where the LSM is not active: one warning line each, and the container runs.

lsm_skip_if_active() {
        [ ! -e /sys/fs/selinux/enforce ] || skip "SELinux is active on this host"
        if [ -e /sys/kernel/security/apparmor ] && grep -q Y /sys/module/apparmor/parameters/enabled 2>/dev/null; then
                skip "AppArmor is active on this host"
        fi
}

# lsm_run PYTHON-EDIT: run `echo ran` with the edit; $out/$err/$rc set.
lsm_run() {
        B=$T/b
        make_bundle "$B" /bin/echo ran
        edit_config "$B" "$@"
        local id
        id=$(new_id lsm)
        capture cocoon run --bundle "$B" "$id"
        assert_eq 0 "$rc" "exit status (stderr: $err)"
        assert_eq ran "$out"
}

test_lsm_apparmor_profile_warns_once() {
        lsm_skip_if_active
        lsm_run 'c["process"]["apparmorProfile"]="cocoon-test"'
        assert_one_line "$err" "stderr"
        assert_contains "$err" 'warning: process.apparmorProfile "cocoon-test" is not applied: AppArmor is not enabled on this host'
}

test_lsm_selinux_label_warns_once() {
        lsm_skip_if_active
        lsm_run 'c["process"]["selinuxLabel"]="system_u:system_r:container_t:s0:c1,c2"'
        assert_one_line "$err" "stderr"
        assert_contains "$err" 'warning: process.selinuxLabel "system_u:system_r:container_t:s0:c1,c2" is not applied: SELinux is not enabled'
}

test_lsm_mount_label_warns_once() {
        lsm_skip_if_active
        lsm_run 'c["linux"]["mountLabel"]="system_u:object_r:container_file_t:s0:c1,c2"'
        assert_one_line "$err" "stderr"
        assert_contains "$err" 'warning: linux.mountLabel "system_u:object_r:container_file_t:s0:c1,c2" is not applied: SELinux is not enabled'
        # no context= reached any mount (the tmpfs mounts would have refused it)
        set_args "$B" /bin/cat /proc/self/mounts
        local id
        id=$(new_id lsm)
        capture cocoon run --bundle "$B" "$id"
        assert_eq 0 "$rc"
        assert_not_contains "$out" "context="
}

test_lsm_all_three_and_exec() {
        lsm_skip_if_active
        B=$T/b
        make_bundle "$B" /bin/sleep 100
        edit_config "$B" 'c["process"]["apparmorProfile"]="p"' 'c["process"]["selinuxLabel"]="l"' 'c["linux"]["mountLabel"]="m"'
        local id
        id=$(new_id lsm)
        capture cocoon create --bundle "$B" "$id"
        assert_eq 0 "$rc" "create"
        track_pid "$(pid_of "$id")"
        assert_eq 3 "$(printf '%s\n' "$err" | grep -c warning)" "warnings from create: [$err]"
        assert_ok cocoon start "$id"
        # an exec'd process inherits the process labels: two warnings, no mount label
        capture cocoon exec "$id" /bin/echo hi
        assert_eq 0 "$rc"
        assert_eq hi "$out"
        assert_eq 2 "$(printf '%s\n' "$err" | grep -c warning)" "warnings from exec: [$err]"
        assert_ok cocoon delete -f "$id"
}
