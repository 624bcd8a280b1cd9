// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 10, enforcement by denial: a BPF LSM program on the bprm_check_security hook, which the
// kernel calls before it executes a program. Returning -EPERM makes execve() fail: nothing is
// killed, the caller just gets "Operation not permitted". It needs BPF LSM (CONFIG_BPF_LSM=y and
// "bpf" in the kernel's LSM list) and BTF trampolines; where either is missing, lab 10 kills from
// the tracepoint instead (sec_events.c). Offsets come from the running kernel's BTF (ebpflab.btf).

#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#ifndef PATH_LEN
#define PATH_LEN 128
#endif

struct linux_binprm;

struct deny_key {
    u32 netns;              // 0: any namespace
    char path[PATH_LEN];    // the program, exactly as execve() was given it
};
BPF_HASH(deny, struct deny_key, u32, 64);    // -> rule id
BPF_ARRAY(denied, u64, 1);
BPF_PERCPU_ARRAY(keybuf, struct deny_key, 1);

static __always_inline char *read_ptr(char *base, u64 off)
{
    char *p = 0;
    if (base)
        bpf_probe_read_kernel(&p, sizeof(p), base + off);
    return p;
}

LSM_PROBE(bprm_check_security, struct linux_binprm *bprm)
{
    u32 zero = 0;
    struct deny_key *k = keybuf.lookup(&zero);
    if (!k)
        return 0;
    __builtin_memset(k->path, 0, PATH_LEN);
    bpf_probe_read_kernel_str(k->path, PATH_LEN, read_ptr((char *)bprm, OFF_BPRM_FILENAME));
    char *task = (char *)bpf_get_current_task();
    char *net = read_ptr(read_ptr(task, OFF_NSPROXY), OFF_NET_NS);
    k->netns = 0;
    if (net)
        bpf_probe_read_kernel(&k->netns, sizeof(k->netns), net + OFF_NS_INUM);
    if (!deny.lookup(k)) {
        k->netns = 0;
        if (!deny.lookup(k))
            return 0;
    }
    denied.atomic_increment(0);
    return -1;  // -EPERM: execve() fails, the caller lives on
}
