#!/usr/bin/env bash
# The three phases end to end against the local simulator: provider setup, customer onboarding,
# the Cosmos DB template from the customer's handoff; then re-runs that must change nothing; then
# MongoDB Atlas encryption at rest with Atlas's own app and a private endpoint the customer approves.
# Usage: bash scripts/demo.sh   (needs cargo and curl; leaves its files in a temporary folder it prints)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked --quiet --bins
bin="$PWD/target/debug"
work="$(mktemp -d "${TMPDIR:-/tmp}/xtcmk-demo.XXXXXX")"
echo "== demo folder: $work"

"$bin/xtcmk-sim" serve --port 0 --zero-delay --dir "$work/sim" --profile-out "$work/cloud.json" >"$work/sim.out" 2>"$work/sim.err" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$work/cloud.json" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/sim.err" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/cloud.json" ] || { echo "the simulator did not start" >&2; exit 1; }

export XTCMK_CLOUD="$work/cloud.json"
export PATH="$bin:$PATH"
cd "$work"

provider_tenant=10000000-0000-4000-8000-000000000001
provider_sub=10000000-0000-4000-8000-0000000000a1
customer_sub=20000000-0000-4000-8000-0000000000a1

setup=(xtcmk-provider setup --tenant "$provider_tenant" --subscription "$provider_sub"
  --resource-group rg-provider --location westeurope --app-name "Contoso CMK" --identity-name uami-cmk
  --invitation-out invitation.json)
onboard=(xtcmk-customer onboard --invitation invitation.json --subscription "$customer_sub"
  --resource-group rg-customer --location westeurope --vault fabrikam-cmk --key cmk
  --handoff-out handoff.json --yes)

echo "== phase 1: the provider (alex@contoso-saas.example) sets up the app, identity and credential"
eval "$(xtcmk-sim az login --profile cloud.json --user alex@contoso-saas.example)"
"${setup[@]}"
echo "== phase 1 again: nothing to change"
"${setup[@]}" --output json | grep '"writes": 0' >/dev/null || { echo "the second setup run made changes" >&2; exit 1; }
app_id="$(sed -n 's/.*"appId": "\([^"]*\)".*/\1/p' invitation.json)"
uami="/subscriptions/$provider_sub/resourceGroups/rg-provider/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk"
xtcmk-provider identities --app-id "$app_id"

echo "== phase 2: the customer's admin (gina@fabrikam.example) onboards"
eval "$(xtcmk-sim az login --profile cloud.json --user gina@fabrikam.example)"
"${onboard[@]}"
echo "== phase 2 again: nothing to change"
"${onboard[@]}" --output json | grep '"writes": 0' >/dev/null || { echo "the second onboard run made changes" >&2; exit 1; }
xtcmk-customer status --handoff handoff.json

echo "== phase 3: the provider writes the Cosmos DB template from the handoff"
xtcmk-provider cosmos template --handoff handoff.json --identity "$uami" \
  --account fabrikam-data --location westeurope --out cosmos

echo "== phase 4: MongoDB Atlas on the customer's key, with Atlas's own app (no secret anywhere)"
atlas_group="$(sed -n 's/.*Atlas.*group id \([0-9a-f]\{24\}\).*/\1/p' "$work/sim.out")"
eval "$(grep -o 'export MONGODB_ATLAS_[A-Z_]*=[^ ]*' "$work/sim.out")"
eval "$(xtcmk-sim az login --profile cloud.json --user alex@contoso-saas.example)"
xtcmk-provider atlas invite --atlas-app --tenant "$provider_tenant" --group-id "$atlas_group" \
  --invitation-out atlas-invitation.json
eval "$(xtcmk-sim az login --profile cloud.json --user gina@fabrikam.example)"
xtcmk-customer onboard --invitation atlas-invitation.json --subscription "$customer_sub" \
  --resource-group rg-customer --location westeurope --vault fabrikam-atlas --key atlas-cmk \
  --handoff-out atlas-handoff.json --yes
eval "$(xtcmk-sim az login --profile cloud.json --user alex@contoso-saas.example)"
role_id="$(xtcmk-provider --output json atlas register-access --handoff atlas-handoff.json --group-id "$atlas_group" \
  | sed -n 's/.*"roleId": "\([0-9a-f]*\)".*/\1/p')"
xtcmk-provider atlas enable --handoff atlas-handoff.json --group-id "$atlas_group" --role-id "$role_id" --private-networking
xtcmk-provider atlas private-endpoint add --group-id "$atlas_group" --region westeurope
eval "$(xtcmk-sim az login --profile cloud.json --user gina@fabrikam.example)"
xtcmk-customer private-endpoints --handoff atlas-handoff.json --approve-atlas --invitation atlas-invitation.json --yes
eval "$(xtcmk-sim az login --profile cloud.json --user alex@contoso-saas.example)"
xtcmk-provider atlas status --group-id "$atlas_group"

echo "== done; files in $work"
