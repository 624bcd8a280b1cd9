# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

"""Wrong answers lab 10's checks must refuse (tests/kernel/test_shortcuts.py): each block replaces the exercise cell."""


# %% shortcut: secret-rule — the key file alone, not the directory
def secret_rule(secret_dir, server):
    return dict(kind="open", path=f"{secret_dir}/api-key.txt", netns=server)


# %% shortcut: secret-rule — a prefix without the '/': the directory next door is caught too
def secret_rule(secret_dir, server):
    return dict(kind="open", path=f"{secret_dir}*", netns=server)


# %% shortcut: secret-rule — any namespace (netns 0): processes outside the server are stopped too
def secret_rule(secret_dir, server):
    return dict(kind="open", path=f"{secret_dir}/*", netns=0)


# %% shortcut: secret-rule — the exec of /bin/cat instead of the open: another program still reads
def secret_rule(secret_dir, server):
    return dict(kind="exec", path="/bin/cat", netns=server)


# %% shortcut: secret-rule — the directory the lab's steps made, not the one given
def secret_rule(secret_dir, server):
    return dict(kind="open", path=f"{MARKERS / 'secrets'}/*", netns=server)


# %% shortcut: keep-filter — execs only, in every namespace
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->kind == EXEC;
}
"""

# %% shortcut: keep-filter — the server's namespace only, every kind (its opens too)
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->netns == SERVER_NETNS;
}
"""

# %% shortcut: keep-filter — execs and exits in the server's namespace
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->netns == SERVER_NETNS && e->kind != OPEN;
}
"""

# %% shortcut: keep-filter — everything (the stub's return 1, with a comment changed)
KEEP_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return 1;
}
"""

# %% shortcut: audit-opens — the directory only, any user
AUDIT_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    if (e->kind != OPEN)
        return 0;
#pragma unroll
    for (int i = 0; i < sizeof(WATCH_DIR) - 1 && i < PATH_LEN; i++)
        if (e->path[i] != WATCH_DIR[i])
            return 0;
    return 1;
}
"""

# %% shortcut: audit-opens — the prefix without its final '/': the directory next door matches too
AUDIT_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    if (e->kind != OPEN || e->uid != WATCH_UID)
        return 0;
#pragma unroll
    for (int i = 0; i < sizeof(WATCH_DIR) - 2 && i < PATH_LEN; i++)
        if (e->path[i] != WATCH_DIR[i])
            return 0;
    return 1;
}
"""

# %% shortcut: audit-opens — any kind: the exec of a program in the directory passes too
AUDIT_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    if (e->uid != WATCH_UID)
        return 0;
#pragma unroll
    for (int i = 0; i < sizeof(WATCH_DIR) - 1 && i < PATH_LEN; i++)
        if (e->path[i] != WATCH_DIR[i])
            return 0;
    return 1;
}
"""

# %% shortcut: audit-opens — the user's opens anywhere
AUDIT_C = r"""
static __always_inline int keep(struct sec_event *e)
{
    return e->kind == OPEN && e->uid == WATCH_UID;
}
"""
