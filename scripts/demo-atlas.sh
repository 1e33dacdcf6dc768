#!/usr/bin/env bash
# MongoDB Atlas on the customer's key, as a story against the local simulator: the provider
# (Contoso) keeps its customers' data in MongoDB Atlas; the customer (Fabrikam) lets Atlas reach a
# key in Fabrikam's tenant through Atlas's own Azure app — no secret exists anywhere — and over a
# private endpoint Fabrikam approves. Then Fabrikam revokes, and Atlas says so. Every command is
# printed as you would type it.
#
# Usage: bash scripts/demo-atlas.sh
# Needs cargo (on a fresh clone it builds the binaries; built ones are reused) and curl.
# XTCMK_BIN_DIR may name a folder holding xtcmk-provider, xtcmk-customer and xtcmk-sim.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "unknown argument: $1 (usage: bash scripts/demo-atlas.sh)" >&2; exit 2 ;;
esac

# The binaries: XTCMK_BIN_DIR, else target/debug when built after the last source change, else built now.
bins=(xtcmk-provider xtcmk-customer xtcmk-sim)
have_bins() { for b in "${bins[@]}"; do [ -x "$1/$b" ] || return 1; done; }
if [ -n "${XTCMK_BIN_DIR:-}" ] && have_bins "$XTCMK_BIN_DIR"; then
  bin="$(cd "$XTCMK_BIN_DIR" && pwd)"
else
  bin="$root/target/debug"
  if ! have_bins "$bin" || [ -n "$(find shared/src provider-cli/src customer-cli/src tests/src Cargo.toml Cargo.lock */Cargo.toml \
      -newer "$bin/xtcmk-provider" -type f 2>/dev/null | head -n 1)" ]; then
    echo "(building the binaries: cargo build --bins)"
    cargo build --locked --quiet --bins
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/xtcmk-demo-atlas.XXXXXX")"
"$bin/xtcmk-sim" serve --port 0 --zero-delay --dir "$work/sim" --profile-out "$work/cloud.json" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$work/cloud.json" ] && grep -q 'MONGODB_ATLAS_PRIVATE_API_KEY' "$work/sim.out" && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/cloud.json" ] || { echo "the simulator did not start" >&2; exit 1; }

export XTCMK_CLOUD="$work/cloud.json"
export XTCMK_AUTH=cli
# The simulator answers at once (--zero-delay): retries and long-running operations need not wait.
export XTCMK_RETRY_TIME_SCALE=0
export PATH="$bin:$PATH"
cd "$work"

provider_tenant=10000000-0000-4000-8000-000000000001
customer_tenant=20000000-0000-4000-8000-000000000002
customer_sub=20000000-0000-4000-8000-0000000000a1
# The Atlas project and its Project Owner API key, as `xtcmk-sim serve` printed them.
group="$(sed -n 's/.*Atlas.*group id \([0-9a-f]\{24\}\).*/\1/p' sim.out)"
[ -n "$group" ] || { echo "demo: xtcmk-sim serve printed no Atlas project" >&2; exit 1; }

# --- how the story is told ---------------------------------------------------------------------
section() { printf '\n== %s\n' "$1"; }
say() { printf '%s\n' "$*" | fold -s -w 100 | sed 's/ *$//'; }
run() {
  printf '\n$ %s\n' "$1"
  eval "$1" 2>&1
}
run_failing() {
  local want="$1" code=0
  printf '\n$ %s\n' "$2"
  eval "$2" 2>&1 || code=$?
  if [ "$code" != "$want" ]; then
    echo "demo: expected exit code $want, got $code" >&2
    exit 1
  fi
  echo "(exit code $code)"
}
sign_in() {
  unset AZURE_CONFIG_DIR
  eval "$(xtcmk-sim az login --profile cloud.json --user "$1" 2>/dev/null)"
  printf '\n$ az login --user %s   # the simulator'"'"'s az\n' "$1"
}
# The provider's Atlas API key: in the environment only, never on a command line or in the story.
atlas_key() { eval "$(grep -o 'export MONGODB_ATLAS_[A-Z_]*=[^ ]*' sim.out)"; }

invite='xtcmk-provider atlas invite --atlas-app --tenant $provider_tenant --group-id $group --invitation-out atlas-invitation.json'
onboard='xtcmk-customer onboard --invitation atlas-invitation.json --subscription $customer_sub --resource-group rg-customer --location westeurope --vault fabrikam-atlas --key atlas-cmk --handoff-out atlas-handoff.json --yes'
status='xtcmk-provider atlas status --group-id $group'

say "xtcmk demo, MongoDB Atlas. Contoso, a SaaS provider, keeps its customers' data in MongoDB Atlas (project $group). Fabrikam wants that data encrypted at rest with a key only Fabrikam holds, in Fabrikam's tenant:"
say "  provider tenant $provider_tenant (Contoso; Alex runs xtcmk-provider and holds the Atlas API key)"
say "  customer tenant $customer_tenant (Fabrikam; Gina runs xtcmk-customer)"
say "Atlas reaches the key through its own Azure app, installed in Fabrikam's tenant, so no client secret is made, sent or stored. Everything runs against xtcmk-sim. Its files, and the demo's:"
echo "  folder: $work"
printf '\n$ export XTCMK_CLOUD=cloud.json   # the tools talk to the simulator as to an Azure cloud\n'

section "1 — Contoso invites Fabrikam (provider tenant)"
say "Alex exports the Atlas project's API key that xtcmk-sim serve printed (MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY: environment only, never a flag) and writes the invitation, naming MongoDB Atlas's own app:"
sign_in alex@contoso-saas.example
atlas_key
run "$invite"

section "2 — Fabrikam onboards for Atlas (customer tenant)"
say "Gina runs onboard with the invitation: it installs MongoDB Atlas's app and lets it get, encrypt and decrypt with one new key, through a least-privilege custom role:"
sign_in gina@fabrikam.example
run "$onboard"

section "3 — Contoso turns on encryption at rest (provider tenant)"
say "Alex registers Atlas's service principal in Fabrikam's tenant with the project (cloudProviderAccess), then enables encryption at rest with the role and private networking. Atlas checks at once that it can reach the key:"
sign_in alex@contoso-saas.example
run 'xtcmk-provider atlas register-access --handoff atlas-handoff.json --group-id $group'
run 'xtcmk-provider atlas enable --handoff atlas-handoff.json --group-id $group --private-networking'

section "4 — A private endpoint, approved by Fabrikam"
say "Alex asks Atlas for a private endpoint in westeurope. Atlas requests a connection on Fabrikam's vault and waits for Fabrikam's approval:"
run 'xtcmk-provider atlas private-endpoint add --group-id $group --region westeurope'
say "Gina sees who asked, and approves only what Atlas requested for Contoso's project:"
sign_in gina@fabrikam.example
run 'xtcmk-customer private-endpoints --handoff atlas-handoff.json'
run 'xtcmk-customer private-endpoints --handoff atlas-handoff.json --approve-atlas --invitation atlas-invitation.json --yes'
sign_in alex@contoso-saas.example
run "$status"
say "-> Atlas encrypts Contoso's data for Fabrikam with Fabrikam's key, over Azure Private Link, and no secret exists."

section "5 — Fabrikam stays in control"
say "Gina revokes the grant. Atlas checks its access on every read, and Alex's status says what broke:"
sign_in gina@fabrikam.example
run 'xtcmk-customer revoke --handoff atlas-handoff.json --yes'
sign_in alex@contoso-saas.example
run_failing 3 "$status"
say "Gina grants it again (onboard changes only what is missing):"
sign_in gina@fabrikam.example
run "$onboard"
sign_in alex@contoso-saas.example
run "$status"

section "Done"
say "Atlas's key stays in Fabrikam's tenant; Fabrikam approves the private endpoint and can cut Atlas off at any time."
