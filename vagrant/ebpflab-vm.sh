#!/bin/sh

# SPDX-FileCopyrightText: The ebpflab contributors
#
# SPDX-License-Identifier: MIT

# `ebpflab` inside the lab VM, installed as /usr/local/bin/ebpflab by the Vagrantfile and by
# lima.yaml: the kit's command from the VM's venv, with the settings the provisioner wrote.
set -eu
defaults=${EBPFLAB_DEFAULTS:-/etc/default/ebpflab}
set -a
. "$defaults"
set +a
if [ "${1:-}" = lab ] && [ "${EBPFLAB_IP:-}" = nat ]; then
    # A forwarded port arrives on the guest's NAT address (the one its default route uses), not
    # on its loopback: listen there only. The host end of the forward is bound to 127.0.0.1.
    EBPFLAB_IP=$(ip -4 -o route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')
    if [ -z "$EBPFLAB_IP" ]; then
        echo "ebpflab: the VM has no IPv4 default route yet; retrying." >&2
        exit 75  # systemd restarts the service
    fi
fi
exec "$EBPFLAB_VENV/bin/ebpflab" "$@"
