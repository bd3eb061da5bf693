/* SPDX-License-Identifier: MIT */
#include "units.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

int parse_ram_bytes(const char *s, int64_t *ret) {
        if (!strcmp(s, "-1")) {
                *ret = -1;
                return 0;
        }
        const char *p = s;
        if (!isdigit((unsigned char) *p))
                return -EINVAL;
        while (isdigit((unsigned char) *p))
                p++;
        while (*p == '.') {
                p++;
                if (!isdigit((unsigned char) *p))
                        return -EINVAL;
                while (isdigit((unsigned char) *p))
                        p++;
        }
        size_t numlen = (size_t) (p - s);
        if (*p == ' ')
                p++;
        double mul = 1;
        const char *units = "kmgtp";
        const char *u = *p ? strchr(units, tolower((unsigned char) *p)) : NULL;
        if (u) {
                for (const char *x = units; x <= u; x++)
                        mul *= 1024;
                p++;
        }
        if (*p == 'i' || *p == 'I')
                p++;
        if (*p == 'b' || *p == 'B')
                p++;
        if (*p)
                return -EINVAL;
        char num[64];
        if (numlen >= sizeof num)
                return -EINVAL;
        memcpy(num, s, numlen);
        num[numlen] = 0;
        char *end;
        double v = strtod(num, &end);
        if (*end) /* "1.2.3" matches the pattern but is no number */
                return -EINVAL;
        v *= mul;
        if (v >= 9223372036854775807.0)
                return -ERANGE;
        *ret = (int64_t) v;
        return 0;
}

int parse_duration_ms(const char *s, unsigned long long *ret) {
        static const struct {
                const char *unit;
                double ns;
        } units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6},
                     {"s", 1e9}, {"m", 60e9},  {"h", 3600e9}};
        double total = 0;
        const char *p = s;
        if (!*p)
                return -EINVAL;
        while (*p) {
                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                char *end;
                double v = strtod(p, &end);
                if (end == p)
                        return -EINVAL;
                p = end;
                size_t best = 0, best_len = 0;
                for (size_t i = 0; i < ELEMENTSOF(units); i++) {
                        size_t l = strlen(units[i].unit);
                        /* longest match: "ms" before "m" */
                        if (!strncmp(p, units[i].unit, l) && l > best_len) {
                                best = i;
                                best_len = l;
                        }
                }
                if (!best_len)
                        return -EINVAL; /* Go: "missing unit" */
                total += v * units[best].ns;
                p += best_len;
        }
        if (total > 1e18)
                return -ERANGE;
        unsigned long long ns = (unsigned long long) total;
        *ret = (ns + 999999) / 1000000;
        return 0;
}
