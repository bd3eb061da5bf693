# shellcheck shell=bash
# test-timeout: 420
# The escape probes of security_probes.sh under `--sandbox vm`, with Docker's
# default seccomp profile (as Docker or Kata would pass it: the agent applies
# it in the guest). Apart because it boots a VM: 10 to 40 s under TCG on a
# loaded host, and then the probes run under emulation.

# shellcheck source=tests/integration/security_probes.sh
source "$TESTS_DIR/integration/security_probes.sh"

test_probes_vm() { probe_column vm; }
