/* SPDX-License-Identifier: MIT */
/* The human-readable quantities runc's CLI accepts (Go libraries' syntax). */
#pragma once

#include <stdint.h>

/* docker/go-units RAMInBytes (runc update --memory ...): "<n>[.<n>][ ][kmgtp][i][b]",
 * case-insensitive, binary multiples ("64m" = 64 MiB); "-1" is -1 (unlimited).
 * Returns -EINVAL / -ERANGE without logging. */
int parse_ram_bytes(const char *s, int64_t *ret);
/* Go's time.ParseDuration (runc events --interval): "5s", "500ms", "1m30s",
 * "1.5s"; units ns, us, µs, ms, s, m, h; rounded up to whole milliseconds. */
int parse_duration_ms(const char *s, unsigned long long *ret);
