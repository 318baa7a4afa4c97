#!/usr/bin/env bash
# A deep run of the markdown reader's property tests: many more mutated
# documents (and generated ledgers for the export round trip) than the
# bounded run `cargo test` does. The seeds include ../shared/corpus when it
# is there.
#
#   bench/fuzz.sh            # 200 000 cases, release build
#   bench/fuzz.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-200000}"
GIT_LEDGER_FUZZ_CASES="$cases" cargo test --release --bin git-ledger markdown::fuzz -- --nocapture
