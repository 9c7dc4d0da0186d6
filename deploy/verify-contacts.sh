#!/usr/bin/env bash
# The verification every page of docs/deploy/ ends with: get a token, call the contacts API.
# Works against any gatehouse deployment; needs bash, curl and node.
#
#   AS=http://localhost:4000 ISSUER=http://localhost:4000/ CONTACTS=http://localhost:4001 \
#   GATEHOUSE_ADMIN_CLIENT_ID=... GATEHOUSE_ADMIN_CLIENT_SECRET=... deploy/verify-contacts.sh
#
#   AS        where you reach the authorization server (no trailing slash)
#   ISSUER    its issuer identifier, GATEHOUSE_ISSUER (default "$AS/")
#   CONTACTS  where you reach the contacts API, e.g. http://localhost:4001 or an API Gateway stage URL
#   AUDIENCE  the contacts API identifier (default https://contacts.gatehouse.local/)
#
# It creates the contacts API if absent, a "Verify Read" and a "Verify Write" client with their
# grants, then checks: a read token cannot create (403), a write token creates (201) and lists
# (200), no token is refused (401). Exits non-zero at the first unexpected answer. The clients'
# secrets stay in this shell's memory; nothing is printed but statuses.
set -euo pipefail
shopt -s inherit_errexit

: "${AS:?set AS to the authorization server URL, e.g. http://localhost:4000}"
: "${CONTACTS:?set CONTACTS to the contacts API URL, e.g. http://localhost:4001}"
: "${GATEHOUSE_ADMIN_CLIENT_ID:?set GATEHOUSE_ADMIN_CLIENT_ID}"
: "${GATEHOUSE_ADMIN_CLIENT_SECRET:?set GATEHOUSE_ADMIN_CLIENT_SECRET}"
ISSUER="${ISSUER:-$AS/}"
AUDIENCE="${AUDIENCE:-https://contacts.gatehouse.local/}"

json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(v===undefined)process.exit(1);process.stdout.write(String(v))})' "$1"; }
token() { # client_id client_secret audience
  curl -sS --fail-with-body -u "$1:$2" "$AS/oauth/token" \
    -d grant_type=client_credentials --data-urlencode "audience=$3" | json access_token
}
expect() { # step expected actual
  if [ "$2" = "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: expected $2, got $3" >&2; exit 1; fi
}

ADMIN_TOKEN=$(token "$GATEHOUSE_ADMIN_CLIENT_ID" "$GATEHOUSE_ADMIN_CLIENT_SECRET" "${ISSUER}api/v2/")
echo "ok   admin token for ${ISSUER}api/v2/"
mgmt() { # path json-body
  curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' "$AS/api/v2/$1" -d "$2"
}
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN_TOKEN" \
  -H 'content-type: application/json' "$AS/api/v2/resource-servers" -d "{\"identifier\":\"$AUDIENCE\",\"name\":\"Contacts API\",
  \"scopes\":[{\"value\":\"read:contacts\",\"description\":\"List and read contacts\"},
  {\"value\":\"write:contacts\",\"description\":\"Create, replace and delete contacts\"}]}")
case "$status" in 201 | 409) echo "ok   contacts API $AUDIENCE ($status)" ;; *) expect "create the contacts API" 201 "$status" ;; esac

client() { # name scopes-json -> "id secret"
  local created id secret
  created=$(mgmt clients "{\"name\":\"$1\",\"app_type\":\"non_interactive\"}")
  id=$(json client_id <<<"$created")
  secret=$(json client_secret <<<"$created")
  mgmt client-grants "{\"client_id\":\"$id\",\"audience\":\"$AUDIENCE\",\"scope\":$2}" >/dev/null
  echo "$id $secret"
}
READ=$(client 'Verify Read' '["read:contacts"]')
WRITE=$(client 'Verify Write' '["read:contacts","write:contacts"]')
read -r READ_ID READ_SECRET <<<"$READ"
read -r WRITE_ID WRITE_SECRET <<<"$WRITE"

READ_TOKEN=$(token "$READ_ID" "$READ_SECRET" "$AUDIENCE")
WRITE_TOKEN=$(token "$WRITE_ID" "$WRITE_SECRET" "$AUDIENCE")
echo "ok   tokens for the Read and Write clients"

call() { # method token [body] -> status
  local args=(-sS -o /dev/null -w '%{http_code}' -X "$1" "$CONTACTS/contacts")
  [ -n "$2" ] && args+=(-H "Authorization: Bearer $2")
  [ $# -ge 3 ] && args+=(-H 'content-type: application/json' -d "$3")
  curl "${args[@]}"
}
expect "read token creates a contact" 403 "$(call POST "$READ_TOKEN" '{"name":"Ada"}')"
expect "write token creates a contact" 201 "$(call POST "$WRITE_TOKEN" '{"name":"Ada"}')"
expect "read token lists contacts" 200 "$(call GET "$READ_TOKEN")"
expect "no token" 401 "$(call GET '')"
echo "verified: tokens from $AS are accepted and refused by scope at $CONTACTS"
