/*
 * SPDX-FileCopyrightText: The ebpflab contributors
 *
 * SPDX-License-Identifier: MIT
 */

// Lab 08's own user-space program: something to trace, built by ebpflab.hooks.build_target().
//
//   shop syscalls N   make exactly N getppid() system calls
//   shop calls N      call checkout(item, quantity) N times (the uprobe target)
//   shop busy S       burn CPU for S seconds in two hot functions (the profiler's target)
//
// It waits for one line on stdin before working, so that the lab attaches its probes first,
// and it never runs longer than S (at most 30) seconds.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

volatile long sink;  // results go here, so the compiler keeps every call

// noinline: a uprobe needs a real function entry at the symbol's address.
__attribute__((noinline)) long checkout(int item, int quantity)
{
    return (long)item * 100 + quantity;
}

__attribute__((noinline)) long crunch_numbers(long n)
{
    long x = n;
    for (int i = 0; i < 200000; i++)
        x = x * 6364136223846793005L + 1442695040888963407L;
    return x;
}

__attribute__((noinline)) long shuffle_letters(long n)
{
    char buf[64];
    for (int i = 0; i < 64; i++)
        buf[i] = 'a' + (i * 7 + n) % 26;
    long x = 0;
    for (int r = 0; r < 500; r++)
        for (int i = 0; i < 63; i++)
            x += buf[i] ^ buf[i + 1] ^ r;
    return x;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: shop syscalls|calls|busy N\n");
        return 2;
    }
    long n = atol(argv[2]);
    char line[16];
    if (!fgets(line, sizeof line, stdin))  // the lab says "go" once its probes are attached
        return 0;
    if (strcmp(argv[1], "syscalls") == 0) {
        for (long i = 0; i < n; i++)
            sink += syscall(SYS_getppid);  // syscall(): glibc may not cache it, the kernel is asked
    } else if (strcmp(argv[1], "calls") == 0) {
        for (long i = 1; i <= n; i++)
            sink += checkout((int)i, (int)(i * 3));
    } else if (strcmp(argv[1], "busy") == 0) {
        double end = now() + (n < 30 ? n : 30);
        for (long i = 0; now() < end; i++)  // about three quarters of the time in crunch_numbers
            sink += (i % 4 == 3) ? shuffle_letters(i) : crunch_numbers(i);
    } else {
        fprintf(stderr, "unknown mode %s\n", argv[1]);
        return 2;
    }
    printf("done %ld\n", n);
    return 0;
}
