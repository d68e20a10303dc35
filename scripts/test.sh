#!/usr/bin/env bash
# The one test command (README.md): installs what the tests need when it is missing, then runs
# formatting and lint checks, every crate's tests, and the testbeds against real peers
# (sipp, tshark, Kamailio, freeDiameter). Exits non-zero on the first failing stage.
#
#   scripts/test.sh            everything
#   SKIP_TESTBEDS=1 scripts/test.sh   crates only (quick iteration)
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s ====\n' "$*"; }

stage "dependencies"
if [ "$(id -u)" = 0 ]; then
  bash testbeds/install-deps.sh
else
  echo "not root: skipping package installation (testbeds need sipp, tshark, kamailio)"
fi
if ! command -v cargo >/dev/null 2>&1; then
  # shellcheck disable=SC1091
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
cargo --version

stage "format"
cargo fmt --all -- --check

stage "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "unit and integration tests"
# The dictionary test must compare against Wireshark's files, which tshark installed above.
export IMS_REQUIRE_WIRESHARK=1
cargo test --workspace --locked

if [ "${SKIP_TESTBEDS:-0}" != 1 ]; then
  stage "testbeds"
  # The beds check behaviour, not speed: they run the dev-profile binaries, which the test
  # stage has all but built (same features, same dependencies), instead of a release build
  # with LTO that took 17 of CI's 31 minutes. TESTBED_PROFILE=release for the real thing
  # (the benchmarks in testbeds/bench build release binaries themselves).
  profile="${TESTBED_PROFILE:-debug}"
  if [ "$profile" = release ]; then
    cargo build --release --locked -p ims-edge -p imsctl -p ims-hss -p ims-ocs -p ims-cdf \
      -p ims-pcscf -p ims-icscf -p ims-scscf -p ims-lab
  else
    cargo build --workspace --bins --locked
  fi
  bin="$PWD/target/$profile"
  export TB_EDGE_BIN="$bin/ims-edge" IMSCTL_BIN="$bin/imsctl" TB_LAB_BIN="$bin/ims-lab" \
    BIN_DIR="$bin"
  bash testbeds/run-all.sh
fi
stage "all stages passed"
