# shellcheck shell=bash
# test-timeout: 900
# bad_input.sh's table under `--sandbox vm`: the rows refused before the VM
# boots cost nothing, the others boot a guest each (10 to 40 s under TCG on a
# loaded host), and one shared VM serves the rows on an existing container.

# shellcheck source=tests/integration/bad_input.sh
source "$TESTS_DIR/integration/bad_input.sh"

test_bad_input_vm() { bad_table vm; }
