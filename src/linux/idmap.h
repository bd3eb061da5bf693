/* SPDX-License-Identifier: MIT */
/*
 * Id-mapped bind mounts (mounts[].uidMappings/gidMappings, options "idmap"
 * and "ridmap"), made the way runc 1.2 makes them: on the host, before the
 * container's processes exist, because mount_setattr(MOUNT_ATTR_IDMAP)
 * needs CAP_SYS_ADMIN over the user namespace owning the source's
 * filesystem, which a container user namespace never has.  Each result is a
 * detached mount tree (an open_tree() fd) that the container's init
 * attaches with move_mount() once its rootfs is ready.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "oci/spec.h"

/* Write one id map of `pid` ("uid_map" or "gid_map"); `where` names the
 * config field in the error ("linux.uidMappings", "mounts[2].gidMappings"). */
int idmap_write_map(pid_t pid, const char *file, const struct oci_id_mapping *m, size_t n, const char *where);

/* An fd of a new user namespace with these maps (a short-lived child holds
 * it while the maps are written).  `where` prefixes errors ("mounts[2]"). */
int idmap_userns_fd(const struct oci_id_mapping *uid, size_t n_uid, const struct oci_id_mapping *gid, size_t n_gid,
                    const char *where, int *ret_fd);

/* One detached, id-mapped clone of every id-mapped mount's source, indexed
 * like spec->mounts (-1 where the mount is not id-mapped); *ret is NULL when
 * no mount is.  Relative sources are taken relative to `bundle`.  The fds
 * are close-on-exec; free with idmap_mounts_free(). */
int idmap_mounts_prepare(const struct oci_spec *spec, const char *bundle, int **ret);
void idmap_mounts_free(int *fds, size_t n);
