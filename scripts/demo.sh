#!/usr/bin/env bash
# The three phases end to end against the local simulator, as a story: a SaaS provider (Contoso)
# creates a Cosmos DB account whose data is encrypted with a key that only its customer (Fabrikam)
# holds, in the customer's own tenant. Every command is printed as you would type it.
#
# Usage: bash scripts/demo.sh [--break fic|grant|key|sp]
#   --break LINK  after onboarding, break one link of the chain (the app's federated credential,
#                 the customer's grant, the key, the app's service principal in the customer's
#                 tenant), show the deploy failing and `doctor` naming exactly that link, then the fix.
# Needs cargo (on a fresh clone it builds the binaries; built ones are reused) and curl.
# XTCMK_BIN_DIR may name a folder holding xtcmk-provider, xtcmk-customer and xtcmk-sim.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

broken=""
while [ $# -gt 0 ]; do
  case "$1" in
    --break) broken="${2:-}"; shift 2 || { echo "--break needs fic, grant, key or sp" >&2; exit 2; } ;;
    --break=*) broken="${1#--break=}"; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (usage: bash scripts/demo.sh [--break fic|grant|key|sp])" >&2; exit 2 ;;
  esac
done
case "$broken" in ""|fic|grant|key|sp) ;; *) echo "--break takes fic, grant, key or sp, not '$broken'" >&2; exit 2 ;; esac

# The binaries: XTCMK_BIN_DIR, else target/debug when built after the last source change, else built now.
bins=(xtcmk-provider xtcmk-customer xtcmk-sim)
have_bins() { for b in "${bins[@]}"; do [ -x "$1/$b" ] || return 1; done; }
if [ -n "${XTCMK_BIN_DIR:-}" ] && have_bins "$XTCMK_BIN_DIR"; then
  bin="$(cd "$XTCMK_BIN_DIR" && pwd)"
else
  bin="$root/target/debug"
  if ! have_bins "$bin" || [ -n "$(find shared/src provider-cli/src customer-cli/src tests/src templates Cargo.toml Cargo.lock */Cargo.toml \
      -newer "$bin/xtcmk-provider" -type f 2>/dev/null | head -n 1)" ]; then
    echo "(building the binaries: cargo build --bins)"
    cargo build --locked --quiet --bins
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/xtcmk-demo.XXXXXX")"
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
# Sign in with the Azure CLI (the simulator's az), also where a managed-identity endpoint is around.
export XTCMK_AUTH=cli
# The simulator answers at once (--zero-delay): retries and long-running operations need not wait.
export XTCMK_RETRY_TIME_SCALE=0
export PATH="$bin:$PATH"
cd "$work"

port="$(tr -d '\n' <cloud.json | grep -o '"servicePort": *[0-9]*' | grep -o '[0-9]*$')"
ca="$(tr -d '\n' <cloud.json | grep -o '"caFile": *"[^"]*"' | sed 's/.*: *"\(.*\)"/\1/')"
graph="$(tr -d '\n' <cloud.json | grep -o '"graphAudience": *"[^"]*"' | sed 's/.*: *"\(.*\)"/\1/')"
vault_audience="$(tr -d '\n' <cloud.json | grep -o '"keyVaultAudience": *"[^"]*"' | sed 's/.*: *"\(.*\)"/\1/')"

provider_tenant=10000000-0000-4000-8000-000000000001
provider_sub=10000000-0000-4000-8000-0000000000a1
customer_tenant=20000000-0000-4000-8000-000000000002
customer_sub=20000000-0000-4000-8000-0000000000a1

# --- how the story is told ---------------------------------------------------------------------
section() { printf '\n== %s\n' "$1"; }
say() { printf '%s\n' "$*" | fold -s -w 100 | sed 's/ *$//'; }
# Prints a command as typed (variables and all), runs it; its output follows, both streams in order.
run() {
  printf '\n$ %s\n' "$1"
  eval "$1" 2>&1
}
# The same for a command that must fail with exit code $1.
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
# A REST call a user would make with az (`az rest`, `az keyvault …`, `az ad …`): the simulator's az
# hands out the signed-in user's token; curl reads it from a private file (never shown, never on a
# command line).
with_token() {
  local audience="$1"; shift
  local header="$work/.authorization"
  ( umask 077; printf 'Authorization: Bearer %s\n' \
      "$(first accessToken "$(az account get-access-token --resource "$audience" -o json)")" >"$header" )
  curl -sS --cacert "$ca" --resolve "graph.localhost:$port:127.0.0.1" \
    --resolve "fabrikam-cmk.vault.localhost:$port:127.0.0.1" -H @"$header" "$@"
  local code=$?
  rm -f "$header"
  return $code
}
rest() {
  local method="$1" url="$2" audience="$3" body="${4:-}" status
  local args=(-o /dev/null -w '%{http_code}' -X "$method")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data "$body")
  status="$(with_token "$audience" "${args[@]}" "$url")"
  case "$status" in 2??) ;; *) echo "demo: $method $url answered $status" >&2; exit 1 ;; esac
}
get_json() { with_token "$2" "$1"; }
# `az login` with the simulator's az: each user in their own config folder.
sign_in() {
  unset AZURE_CONFIG_DIR
  eval "$(xtcmk-sim az login --profile cloud.json --user "$1" 2>/dev/null)"
  printf '\n$ az login --user %s   # the simulator'"'"'s az\n' "$1"
}
# The first string member NAME of a JSON text.
first() { printf '%s' "$2" | tr -d '\n' | grep -o "\"$1\": *\"[^\"]*\"" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'; }

setup='xtcmk-provider setup --tenant $provider_tenant --subscription $provider_sub --resource-group rg-provider --location westeurope --app-name "Contoso CMK" --identity-name uami-cmk --invitation-out invitation.json'
onboard='xtcmk-customer onboard --invitation invitation.json --subscription $customer_sub --resource-group rg-customer --location westeurope --vault fabrikam-cmk --key cmk --handoff-out handoff.json --yes'
deploy='xtcmk-provider cosmos deploy --handoff handoff.json --identity "$uami" --subscription $provider_sub --resource-group rg-provider --account fabrikam-orders --location westeurope'
status='xtcmk-provider cosmos status --subscription $provider_sub --resource-group rg-provider --account fabrikam-orders'
doctor='xtcmk-provider doctor --handoff handoff.json --identity "$uami" --as-identity'

say "xtcmk demo. Contoso, a SaaS provider, keeps its customers' data in Cosmos DB in its own Azure tenant. Fabrikam, a customer, wants that data encrypted with a key only Fabrikam holds, in Fabrikam's tenant. Two people, two tenants, no shared credentials:"
say "  provider tenant $provider_tenant (Contoso; Alex runs xtcmk-provider)"
say "  customer tenant $customer_tenant (Fabrikam; Gina runs xtcmk-customer)"
say "Everything below runs against xtcmk-sim, a local simulator of Entra ID, ARM, Key Vault and Cosmos DB. Its files, and the demo's:"
echo "  folder: $work"
printf '\n$ export XTCMK_CLOUD=cloud.json   # the tools talk to the simulator as to an Azure cloud\n'

section "Phase 1 — Contoso prepares, once (provider tenant)"
say "Alex signs in to Contoso's tenant and runs setup:"
sign_in alex@contoso-saas.example
run "$setup"
say "-> In Contoso's tenant: a multi-tenant app, a user-assigned managed identity (UAMI), and a federated credential on the app that trusts the identity, so the identity can act as the app without any secret. invitation.json goes to Fabrikam."
setup_json="$(eval "$setup --output json" 2>/dev/null)"
grep -q '"writes": 0' <<<"$setup_json" || { echo "demo: the second setup run made changes" >&2; exit 1; }
say "(setup again changes nothing: 0 writes)"
uami_client="$(first identityClientId "$setup_json")"
app_id="$(first appId "$(cat invitation.json)")"
uami="/subscriptions/$provider_sub/resourceGroups/rg-provider/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uami-cmk"
say "The identity's resource id, used below:"
printf '\n$ uami=%s\n' "$uami"

section "Phase 2 — Fabrikam onboards, once per provider (customer tenant)"
say "Gina, Fabrikam's administrator, signs in to her own tenant and runs onboard with Contoso's invitation:"
sign_in gina@fabrikam.example
run "$onboard"
say "-> In Fabrikam's tenant: Contoso's app installed as a service principal, a vault with purge protection, an RSA key, and a grant for the app on that one key (wrap and unwrap, nothing else). handoff.json goes back to Contoso; nothing secret crosses."
if [ -z "$broken" ]; then
  again="$(eval "$onboard --output json" 2>/dev/null)"
  grep -q '"writes": 0' <<<"$again" || { echo "demo: the second onboard run made changes" >&2; exit 1; }
  say "(onboard again changes nothing: 0 writes)"
fi

# doctor runs where the identity lives: on Azure compute with the UAMI, its managed-identity
# endpoint gives the identity's tokens; here the simulator plays that endpoint.
compute="$(curl -sS --cacert "$ca" --resolve "sim.localhost:$port:127.0.0.1" -H 'Content-Type: application/json' \
  --data "{\"identities\":[\"$uami_client\"]}" "https://sim.localhost:$port/compute" | tr -d '\n')"
identity_endpoint="$(first identityEndpoint "$compute")"
identity_header="$(first identityHeader "$compute")"
identity_host() { ( export IDENTITY_ENDPOINT="$identity_endpoint" IDENTITY_HEADER="$identity_header"; eval "$1" ); }
deploy_here() { eval "$1"; }

if [ -n "$broken" ]; then
  section "What can go wrong — one link broken: $broken"
  case "$broken" in
    fic)
      say "Someone at Contoso deletes the app's federated credential (az ad app federated-credential delete --id $app_id --federated-credential-id xtcmk-uami-cmk). Without it the identity can no longer act as the app."
      sign_in alex@contoso-saas.example
      app_object="$(first id "$(get_json "https://graph.localhost:$port/v1.0/applications(appId='$app_id')" "$graph")")"
      rest DELETE "https://graph.localhost:$port/v1.0/applications/$app_object/federatedIdentityCredentials(name='xtcmk-uami-cmk')" "$graph"
      ;;
    grant)
      say "Gina revokes Contoso's grant on the key with her own tool:"
      run "xtcmk-customer revoke --handoff handoff.json --yes"
      ;;
    key)
      say "Gina disables the key (az keyvault key set-attributes --vault-name fabrikam-cmk --name cmk --enabled false)."
      key_json="$(get_json "https://fabrikam-cmk.vault.localhost:$port/keys/cmk?api-version=2025-07-01" "$vault_audience")"
      kid="$(first kid "$key_json")"
      rest PATCH "$kid?api-version=2025-07-01" "$vault_audience" '{"attributes":{"enabled":false}}'
      ;;
    sp)
      say "Gina removes Contoso's app from her tenant (az ad sp delete --id $app_id): its service principal is gone."
      rest DELETE "https://graph.localhost:$port/v1.0/servicePrincipals(appId='$app_id')" "$graph"
      ;;
  esac
  sign_in alex@contoso-saas.example
  say "Alex deploys the account as before, from his workstation:"
  printf '\n$ %s\n' "$deploy"
  code=0; deploy_here "$deploy" 2>&1 || code=$?
  [ "$code" = 1 ] || { echo "demo: the deploy should have failed with exit code 1, not $code" >&2; exit 1; }
  echo "(exit code $code)"
  case "$broken" in
    fic) say "-> The tool refused before sending anything: it checks the links it can see from Contoso's tenant first." ;;
    *) say "-> Cosmos DB answers the same 503 for a missing service principal, a missing grant or an unusable key, so the message alone cannot say which. doctor can." ;;
  esac
  say "Alex runs doctor where the identity lives (on Azure compute with the UAMI; here the simulator's managed-identity endpoint), so it does what Cosmos DB does: the identity's token, the app's token in Fabrikam's tenant, then get, wrap and unwrap with the key:"
  printf '\n$ %s\n' "$doctor"
  code=0; identity_host "$doctor" 2>&1 || code=$?
  [ "$code" = 3 ] || { echo "demo: doctor should have found a broken link (exit code 3), not $code" >&2; exit 1; }
  echo "(exit code $code: a broken link)"

  section "The fix"
  case "$broken" in
    fic)
      say "Alex runs setup again: it finds the app and the identity and puts the credential back."
      run "$setup"
      ;;
    grant|sp)
      say "Gina runs onboard again: it installs what is missing and grants the app again."
      sign_in gina@fabrikam.example
      run "$onboard"
      sign_in alex@contoso-saas.example
      ;;
    key)
      say "Gina enables the key again (az keyvault key set-attributes --vault-name fabrikam-cmk --name cmk --enabled true)."
      sign_in gina@fabrikam.example
      rest PATCH "$kid?api-version=2025-07-01" "$vault_audience" '{"attributes":{"enabled":true}}'
      sign_in alex@contoso-saas.example
      ;;
  esac
  printf '\n$ %s\n' "$doctor"
  identity_host "$doctor" 2>&1
  say "-> Every link is intact again."
fi

section "Phase 3 — Contoso creates the database on Fabrikam's key (provider tenant)"
say "Alex, signed in to Contoso's tenant again, deploys the Cosmos DB account with Fabrikam's handoff:"
[ -n "$broken" ] || sign_in alex@contoso-saas.example
printf '\n$ %s\n' "$deploy"
deploy_here "$deploy" 2>&1
say "-> In Contoso's tenant: account fabrikam-orders, encrypted with Fabrikam's key. Cosmos DB reaches the key as Contoso's app, signed in to Fabrikam's tenant through the identity's federated credential; Fabrikam can cut it off at any time by revoking the grant."
if [ -z "$broken" ]; then
  again="$(deploy_here "$deploy --output json" 2>/dev/null)"
  grep -q '"writes": 0' <<<"$again" || { echo "demo: the second deploy made changes" >&2; exit 1; }
  say "(deploy again changes nothing: 0 writes)"
fi
run "$status"
say "-> Cosmos DB confirms it can use Fabrikam's key."

section "Done"
say "The account's data is encrypted with a key that stays in Fabrikam's tenant. Try: bash scripts/demo.sh --break fic|grant|key|sp"
