/* SPDX-License-Identifier: MIT */
/*
 * The smallest program that exits 0, for bench/syscalls.c's fork+exec: no
 * libc, no dynamic loader, no start-up syscalls, so the op measures fork,
 * execve, exit and wait rather than a C library's initialisation.
 *
 *   gcc -static -nostdlib -O2 -fno-stack-protector -o true true.c
 */
__attribute__((noreturn, used)) void _start(void) {
#if defined(__x86_64__)
        __asm__ volatile("mov $231, %%eax\n\t" /* exit_group(0) */
                         "xor %%edi, %%edi\n\t"
                         "syscall" ::: "memory");
#elif defined(__aarch64__)
        __asm__ volatile("mov x8, #94\n\t" /* exit_group(0) */
                         "mov x0, #0\n\t"
                         "svc #0" ::: "memory");
#else
#error "bench/true.c: add exit_group for this architecture"
#endif
        __builtin_unreachable();
}
