# shellcheck shell=bash
# Id-mapped bind mounts (mounts[].uidMappings/gidMappings, "idmap",
# "ridmap").  The maps are user namespace maps: "containerID" is the id on
# disk, "hostID" the id the mount shows it as (to the host; a container user
# namespace then maps that as usual).

# idmap_bundle [OPTIONS_PYLIST] [MAPPINGS_PY]: $B with a bind of $V on /data.
idmap_bundle() {
        B=$T/b
        V=$T/vol
        make_bundle "$B"
        mkdir -p "$V"
        local opts=${1:-'["bind","idmap"]'} maps=${2:-}
        edit_config "$B" "c['mounts'].append({'destination':'/data','type':'bind','source':'$V','options':$opts})"
        [ -z "$maps" ] || edit_config "$B" "c['mounts'][-1].update($maps)"
}

# a container user namespace mapping container 0..65535 to host 100000..
add_userns() {
        edit_config "$B" \
                "c['linux']['namespaces'].append({'type':'user'})" \
                "c['linux']['uidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]" \
                "c['linux']['gidMappings']=[{'containerID':0,'hostID':100000,'size':65536}]"
        chown -R 100000:100000 "$B/rootfs"
}

run_in() { # ARGS...: run the bundle $B once, output in $out
        set_args "$B" "$@"
        local id
        id=$(new_id idm)
        assert_ok cocoon run --bundle "$B" "$id"
}

# Disk 1000 shows as 0: a host volume owned by uid 1000 is root's inside a
# container without a user namespace, and root's new files land as 1000.
test_idmap_mount_mappings_no_userns() {
        local m="{'uidMappings':[{'containerID':1000,'hostID':0,'size':1}],'gidMappings':[{'containerID':1000,'hostID':0,'size':1}]}"
        idmap_bundle '["bind","idmap"]' "$m"
        echo hello >"$V/f"
        chown -R 1000:1000 "$V"
        run_in /bin/sh -c 'stat -c "%u:%g" /data/f; echo new >/data/g; stat -c "%u:%g" /data/g'
        assert_eq "0:0
0:0" "$out" "owners seen inside"
        assert_eq "1000:1000" "$(stat -c %u:%g "$V/g")" "owner on the host of a file made inside"
        # the host's own view of the source is unchanged
        assert_eq "1000:1000" "$(stat -c %u:%g "$V/f")" "owner on the host"
        # an id outside the map is not representable: nobody inside
        chown 2000:2000 "$V/f"
        run_in /bin/sh -c 'stat -c "%u:%g" /data/f'
        assert_eq "65534:65534" "$out" "unmapped owner"
}

# "idmap" without mount mappings takes the container's: disk 0 is the
# container's root although the container's root is host uid 100000.
test_idmap_container_mappings_userns() {
        idmap_bundle '["rbind","idmap"]'
        add_userns
        echo hi >"$V/f"
        chown 0:0 "$V/f"
        chown 0:0 "$V"
        run_in /bin/sh -c 'stat -c "%u:%g" /data/f; echo x >/data/made; stat -c "%u:%g" /data/made'
        assert_eq "0:0
0:0" "$out"
        assert_eq "0:0" "$(stat -c %u:%g "$V/made")" "file made by the container's root, on the host"
}

# Without idmap the same volume is not writable by the container's root
# (host 0 is unmapped in its user namespace): the control for the test above.
test_idmap_control_without_idmap() {
        idmap_bundle '["rbind"]'
        add_userns
        chown 0:0 "$V"
        chmod 755 "$V"
        run_in /bin/sh -c 'stat -c "%u" /data; echo x >/data/made 2>/dev/null || echo denied'
        assert_eq "65534
denied" "$out"
}

# Mount mappings in a user-namespaced container: disk 1000 -> host 100000,
# which is the container's root.
test_idmap_mount_mappings_with_userns() {
        local m="{'uidMappings':[{'containerID':1000,'hostID':100000,'size':1}],'gidMappings':[{'containerID':1000,'hostID':100000,'size':1}]}"
        idmap_bundle '["bind","idmap"]' "$m"
        add_userns
        chown 1000:1000 "$V"
        run_in /bin/sh -c 'stat -c "%u:%g" /data; touch /data/t; stat -c "%u:%g" /data/t'
        assert_eq "0:0
0:0" "$out"
        assert_eq "1000:1000" "$(stat -c %u:%g "$V/t")"
}

# rbind + idmap maps the top mount only; rbind + ridmap the submounts too.
test_idmap_recursive_vs_not() {
        local m="{'uidMappings':[{'containerID':1000,'hostID':0,'size':1}],'gidMappings':[{'containerID':1000,'hostID':0,'size':1}]}"
        idmap_bundle '["rbind","idmap"]' "$m"
        mkdir -p "$V/sub" "$T/subsrc"
        chown 1000:1000 "$V" "$T/subsrc"
        mount --bind "$T/subsrc" "$V/sub"
        # shellcheck disable=SC2064
        trap "umount '$V/sub'" EXIT
        run_in /bin/sh -c 'stat -c %u /data /data/sub'
        assert_eq "0
1000" "$out" "idmap: top mapped, submount not"
        edit_config "$B" "c['mounts'][-1]['options']=['rbind','ridmap']"
        run_in /bin/sh -c 'stat -c %u /data /data/sub'
        assert_eq "0
0" "$out" "ridmap: submount mapped too"
}

test_idmap_read_only() {
        local m="{'uidMappings':[{'containerID':1000,'hostID':0,'size':1}],'gidMappings':[{'containerID':1000,'hostID':0,'size':1}]}"
        idmap_bundle '["bind","idmap","ro"]' "$m"
        chown 1000:1000 "$V"
        run_in /bin/sh -c 'stat -c %u /data; touch /data/x 2>/dev/null || echo ro'
        assert_eq "0
ro" "$out"
}

test_idmap_errors() {
        local id
        # the option alone needs a user namespace to take the mappings from
        idmap_bundle '["bind","idmap"]'
        id=$(new_id idm)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "mounts[7]: an idmap mount without uidMappings/gidMappings needs the container's user namespace"
        # a mapping the kernel refuses (overlapping ranges)
        edit_config "$B" "c['mounts'][-1].update({'uidMappings':[{'containerID':0,'hostID':0,'size':10},{'containerID':5,'hostID':50,'size':10}],'gidMappings':[{'containerID':0,'hostID':0,'size':1}]})"
        id=$(new_id idm)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "mounts[7].uidMappings: write /proc/"
        # only bind mounts
        edit_config "$B" "c['mounts'][-1].update({'type':'tmpfs','source':'tmpfs','options':['idmap'],'uidMappings':[{'containerID':0,'hostID':0,'size':1}]})"
        id=$(new_id idm)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "mounts[7]: id-mapped mounts are only supported for bind mounts"
        # a filesystem without idmap support (procfs)
        edit_config "$B" "c['mounts'][-1].update({'type':'bind','source':'/proc','options':['rbind','idmap']})"
        id=$(new_id idm)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "does not support idmapped mounts"
        # mappings must come in pairs (parser)
        edit_config "$B" "c['mounts'][-1].update({'source':'$V'})" "del c['mounts'][-1]['gidMappings']"
        id=$(new_id idm)
        assert_fail cocoon run --bundle "$B" "$id"
        assert_error_line
        assert_contains "$err" "uidMappings and gidMappings must be given together"
        # nothing left behind
        assert_eq "" "$(cocoon list -q)"
}

# runc 1.1.5 predates id-mapped mounts: it ignores uidMappings and "idmap"
# (passing the latter to mount(2) as data), so the mount is a plain bind.
test_idmap_runc_reference() {
        local m="{'uidMappings':[{'containerID':1000,'hostID':0,'size':1}],'gidMappings':[{'containerID':1000,'hostID':0,'size':1}]}"
        idmap_bundle '["bind","idmap"]' "$m"
        chown 1000:1000 "$V"
        set_args "$B" /bin/stat -c %u /data
        local id rout
        id=$(new_id rr)
        rout=$(runc_ref run --bundle "$B" "$id" 2>&1) || true
        note "runc 1.1.5: $rout"
        runc_ref delete -f "$id" >/dev/null 2>&1 || true
        run_in /bin/stat -c %u /data
        assert_eq 0 "$out" "cocoon maps it"
}
