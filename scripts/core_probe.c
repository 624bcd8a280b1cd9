/*
 * SPDX-FileCopyrightText: The ebpflab contributors
 *
 * SPDX-License-Identifier: MIT
 */

// Lab 11's portability check, run as /init of a tiny initramfs under QEMU: load every CO-RE object
// in /obj on whatever kernel booted (libbpf relocates it against that kernel's BTF), run
// xdp_count once on a packet through BPF_PROG_TEST_RUN, print one line per object, power off.
// Built and booted by scripts/core_matrix.sh; not part of the labs.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

static void probe(const char *path)
{
    struct bpf_object *obj = bpf_object__open_file(path, NULL);
    if (!obj) {
        printf("CORE-PROBE %s: open failed\n", path);
        return;
    }
    int err = bpf_object__load(obj);
    if (err) {
        printf("CORE-PROBE %s: load failed: %s\n", path, strerror(-err));
        bpf_object__close(obj);
        return;
    }
    struct bpf_program *prog = bpf_object__find_program_by_name(obj, "xdp_count");
    struct bpf_map *counts = bpf_object__find_map_by_name(obj, "counts");
    if (prog && counts) {
        char pkt[60] = {0};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 10);
        int ret = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
        __u32 k0 = 0, k1 = 1;
        __u64 packets = 0, bytes = 0;
        bpf_map_lookup_elem(bpf_map__fd(counts), &k0, &packets);
        bpf_map_lookup_elem(bpf_map__fd(counts), &k1, &bytes);
        printf("CORE-PROBE %s: loaded; test run %d, verdict %u, counted %llu packets %llu bytes\n", path, ret,
               opts.retval, (unsigned long long)packets, (unsigned long long)bytes);
    } else {
        printf("CORE-PROBE %s: loaded (relocated and verified)\n", path);
    }
    bpf_object__close(obj);
}

int main(void)
{
    struct utsname u;
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    uname(&u);
    printf("CORE-PROBE kernel %s, BTF %s\n", u.release, access("/sys/kernel/btf/vmlinux", R_OK) ? "missing" : "present");
    DIR *d = opendir("/obj");
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (strstr(e->d_name, ".bpf.o")) {
            snprintf(path, sizeof(path), "/obj/%s", e->d_name);
            probe(path);
        }
    }
    printf("CORE-PROBE done\n");
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return 0;
}
