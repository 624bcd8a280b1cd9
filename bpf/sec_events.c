// SPDX-FileCopyrightText: The ebpflab contributors
//
// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause

// Lab 10, runtime security: every exec, exit, file open and TCP connect of every process, as
// events in a ring buffer; a policy (map entries set from Python) that kills a process from the
// tracepoint; an in-kernel filter that decides what reaches user space, with counters to show it.
//
// Tracepoint fields come from tracefs (args->...). What tracepoints do not carry (the parent
// chain, the network namespace) is read from task_struct at offsets Python took from the running
// kernel's BTF (ebpflab.btf): the kernel headers BCC compiles with may belong to another kernel.

#define BPF_LICENSE Dual BSD/GPL  // the kernel's name for this file's GPL-2.0-only OR BSD-2-Clause (BCC's default: GPL)
#ifndef PATH_LEN
#define PATH_LEN 128
#endif
#define CHAIN 4  // ancestors reported: parent, grandparent, ...

enum kind { EXEC = 1, OPEN = 2, CONNECT = 3, EXIT = 4 };
enum action { ACT_NONE = 0, ACT_LOG = 1, ACT_KILL = 2 };
enum stat { GENERATED = 0, DELIVERED = 1, LOST = 2, POLICY_HITS = 3 };

struct sec_event {
    u64 ns;             // bpf_ktime_get_ns(): nanoseconds since boot
    u32 kind, pid, ppid, uid, netns;
    s32 ret;            // open: the file descriptor or -errno
    u32 chain[CHAIN];   // chain[0] = ppid, chain[1] = its parent, ... (0: not visible)
    u32 daddr;          // connect: destination IPv4 address (network order)
    u16 dport, action;  // action: what the policy did (ACT_*)
    u32 rule;           // the policy rule that matched
    char comm[16];
    char path[PATH_LEN];  // exec: the program; open: the file name as passed to openat()
};

// The policy: an LPM trie, so that a rule can name a whole directory ("/etc/*") or one file.
// Its key is (kind, netns, path); prefixlen counts the bits of the key that must match.
// netns 0 in a rule means "any namespace".
struct rule_key {
    u32 prefixlen;
    u32 kind, netns;
    char path[PATH_LEN];
};
struct rule {
    u32 action, id;
    u64 hits;
};
BPF_LPM_TRIE(policy, struct rule_key, struct rule, 256);

// The default in-kernel filter, set from Python: 0 / empty means "any".
struct watch {
    u32 on;             // 0 until Python has set the filter: nothing is delivered before
    u32 netns, kinds;   // kinds: bit (1 << kind) for each kind wanted
    u32 comm_len, prefix_len;
    char comm[16];
    char prefix[64];
};
BPF_ARRAY(watch, struct watch, 1);

BPF_PERCPU_ARRAY(stats, u64, 4);
BPF_PERCPU_ARRAY(scratch, struct sec_event, 1);   // too big for the 512-byte stack
BPF_PERCPU_ARRAY(keybuf, struct rule_key, 1);
struct name {
    char path[PATH_LEN];
};
BPF_TABLE("lru_hash", u32, struct name, opening, 10240);  // thread id -> file name, from openat's entry to its exit
BPF_HASH(killed, u32, u32, 1024);                 // processes the policy killed: their exit is evidence
BPF_RINGBUF_OUTPUT(events, 256);                  // 256 pages = 1 MiB

static __always_inline void count(u32 i)
{
    u64 *v = stats.lookup(&i);
    if (v)
        (*v)++;
}

static __always_inline char *read_ptr(char *base, u64 off)
{
    char *p = 0;
    if (base)
        bpf_probe_read_kernel(&p, sizeof(p), base + off);
    return p;
}

static __always_inline u32 read_u32(char *base, u64 off)
{
    u32 v = 0;
    if (base)
        bpf_probe_read_kernel(&v, sizeof(v), base + off);
    return v;
}

// pid, uid, comm, network namespace and the parent chain of the current process.
static __always_inline struct sec_event *fill(u32 kind)
{
    u32 zero = 0;
    struct sec_event *e = scratch.lookup(&zero);
    if (!e)
        return 0;
    char *task = (char *)bpf_get_current_task();
    e->ns = bpf_ktime_get_ns();
    e->kind = kind;
    e->pid = bpf_get_current_pid_tgid() >> 32;
    e->uid = (u32)bpf_get_current_uid_gid();
    e->ret = 0;
    e->daddr = 0;
    e->dport = 0;
    e->action = ACT_NONE;
    e->rule = 0;
    e->path[0] = 0;
    bpf_get_current_comm(&e->comm, sizeof(e->comm));
    e->netns = read_u32(read_ptr(read_ptr(task, OFF_NSPROXY), OFF_NET_NS), OFF_NS_INUM);
    char *t = task;
#pragma unroll
    for (int i = 0; i < CHAIN; i++) {
        t = read_ptr(t, OFF_REAL_PARENT);
        e->chain[i] = read_u32(t, OFF_TGID);
    }
    e->ppid = e->chain[0];
    return e;
}

// A new event: counted as generated, whatever happens to it next.
static __always_inline struct sec_event *start(u32 kind)
{
    struct sec_event *e = fill(kind);
    if (e)
        count(GENERATED);
    return e;
}

// The policy: look the event up (this namespace first, then "any namespace"); act on a match.
static __always_inline void enforce(struct sec_event *e)
{
    u32 zero = 0;
    struct rule_key *k = keybuf.lookup(&zero);
    if (!k)
        return;
    __builtin_memcpy(k->path, e->path, PATH_LEN);
    k->prefixlen = 64 + PATH_LEN * 8;
    k->kind = e->kind;
    k->netns = e->netns;
    struct rule *r = policy.lookup(k);
    if (!r) {
        k->netns = 0;
        r = policy.lookup(k);
    }
    if (!r)
        return;
    __sync_fetch_and_add(&r->hits, 1);
    e->rule = r->id;
    e->action = r->action;
    count(POLICY_HITS);
    if (r->action == ACT_KILL) {
        bpf_send_signal(9);  // SIGKILL, delivered before the process returns to user space
        u32 one = 1;
        killed.update(&e->pid, &one);
    }
}

/* @KEEP@ : a keep() from Python replaces the default below */
#ifndef CUSTOM_KEEP
// The default filter: the settings in `watch` (namespace, kinds, comm prefix, path prefix).
static __always_inline int keep(struct sec_event *e)
{
    u32 zero = 0;
    struct watch *w = watch.lookup(&zero);
    if (!w || !w->on)
        return 0;
    if (w->netns && w->netns != e->netns)
        return 0;
    if (w->kinds && !(w->kinds & (1 << e->kind)))
        return 0;
#pragma unroll
    for (int i = 0; i < 16; i++)
        if (i < w->comm_len && w->comm[i] != e->comm[i])
            return 0;
#pragma unroll
    for (int i = 0; i < 64; i++)
        if (i < w->prefix_len && w->prefix[i] != e->path[i])
            return 0;
    return 1;
}
#endif

// What the policy acted on is always delivered: it is the evidence.
static __always_inline int wanted(struct sec_event *e)
{
    return e->action != ACT_NONE || keep(e);
}

static __always_inline void deliver(struct sec_event *e)
{
    if (!wanted(e))
        return;
    if (events.ringbuf_output(e, sizeof(*e), 0) == 0)
        count(DELIVERED);
    else
        count(LOST);
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
    struct sec_event *e = start(EXEC);
    if (!e)
        return 0;
    // __data_loc: the low 16 bits are the string's offset from the start of the record
    bpf_probe_read_kernel_str(&e->path, sizeof(e->path), (char *)args + (args->data_loc_filename & 0xFFFF));
    enforce(e);  // the new program has not run one instruction yet: a kill here stops it before it starts
    deliver(e);
    return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit)
{
    u64 id = bpf_get_current_pid_tgid();
    u32 pid = id >> 32;
    if (pid != (u32)id)
        return 0;  // a thread, not the process
    struct sec_event *e = start(EXIT);
    if (!e)
        return 0;
    if (killed.lookup(&pid)) {
        e->action = ACT_KILL;  // the end of a process the policy killed: always delivered
        killed.delete(&pid);
    }
    deliver(e);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
    struct sec_event *e = start(OPEN);
    if (!e)
        return 0;
    bpf_probe_read_user_str(&e->path, sizeof(e->path), args->filename);
    enforce(e);  // before the file is used: a killed process never returns from openat()
    u32 tid = bpf_get_current_pid_tgid();
    if (e->action != ACT_NONE)
        deliver(e);  // the evidence now; nothing at the exit
    else if (keep(e))  // filtered at the entry: what is not kept costs no map update
        opening.update(&tid, (struct name *)e->path);
    return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_openat)
{
    u32 tid = bpf_get_current_pid_tgid();
    struct name *n = opening.lookup(&tid);
    if (!n)
        return 0;
    struct sec_event *e = fill(OPEN);  // counted at the entry; the scratch space may have been reused since
    if (!e)
        return 0;
    e->ret = args->ret;
    __builtin_memcpy(e->path, n->path, PATH_LEN);
    opening.delete(&tid);
    if (events.ringbuf_output(e, sizeof(*e), 0) == 0)  // kept at the entry
        count(DELIVERED);
    else
        count(LOST);
    return 0;
}

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
    // CLOSE -> SYN_SENT happens inside connect(), in the context of the process that connects
    if (args->protocol != 6 /* TCP */ || args->family != 2 /* AF_INET */ || args->oldstate != 7 /* CLOSE */ ||
        args->newstate != 2 /* SYN_SENT */)
        return 0;
    struct sec_event *e = start(CONNECT);
    if (!e)
        return 0;
    __builtin_memcpy(&e->daddr, args->daddr, 4);
    e->dport = args->dport;
    deliver(e);
    return 0;
}
