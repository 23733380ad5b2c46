#!/usr/bin/env bash
# The post "Adding custom nodes to your Kubernetes cluster in Rancher 2.0 Tech Preview 2", command by
# command, against a running Paddock at $SERVER (e.g. https://127.0.0.1:8443). The post's curl/jq lines are
# kept as written, with https://127.0.0.1 replaced by $SERVER; each response is then checked.
set -euo pipefail
SERVER=${SERVER:?set SERVER to the Paddock URL, e.g. https://127.0.0.1:8443}
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { local what=$1; shift; "$@" >/dev/null || fail "$what"; echo "ok - $what"; }

# Login
LOGINRESPONSE=`curl -s "$SERVER/v3-public/localProviders/local?action=login" -H 'content-type: application/json' --data-binary '{"username":"admin","password":"admin"}' --insecure`
LOGINTOKEN=`echo $LOGINRESPONSE | jq -r .token`
check "login returns a token-xxxxx:secret token" grep -Eq '^token-[a-z0-9]{5}:[a-z0-9]{54}$' <<<"$LOGINTOKEN"

# Change password
CHANGE=`curl -s -o /dev/null -w '%{http_code}' "$SERVER/v3/users?action=changepassword" -H 'content-type: application/json' -H "Authorization: Bearer $LOGINTOKEN" --data-binary '{"currentPassword":"admin","newPassword":"thisisyournewpassword"}' --insecure`
check "changepassword answers 200" test "$CHANGE" = 200

# Create API key
APIRESPONSE=`curl -s "$SERVER/v3/token" -H 'content-type: application/json' -H "Authorization: Bearer $LOGINTOKEN" --data-binary '{"type":"token","description":"automation"}' --insecure`
# Extract and store token
APITOKEN=`echo $APIRESPONSE | jq -r .token`
check "API key created" grep -Eq '^token-[a-z0-9]{5}:[a-z0-9]{54}$' <<<"$APITOKEN"
check "API key has the description" test "$(echo $APIRESPONSE | jq -r .description)" = automation

# Create cluster
CLUSTERRESPONSE=`curl -s "$SERVER/v3/cluster" -H 'content-type: application/json' -H "Authorization: Bearer $APITOKEN" --data-binary '{"type":"cluster","nodes":[],"rancherKubernetesEngineConfig":{"ignoreDockerVersion":true},"name":"yournewcluster"}' --insecure`
# Extract clusterid to use for generating the docker run command
CLUSTERID=`echo $CLUSTERRESPONSE | jq -r .id`
check "cluster created with a c-xxxxx id" grep -Eq '^c-[a-z0-9]{5}$' <<<"$CLUSTERID"
check "cluster waits for nodes" test "$(echo $CLUSTERRESPONSE | jq -r .transitioningMessage)" = "Waiting for nodes to provision or a valid configuration"
check "cluster is provisioning" test "$(echo $CLUSTERRESPONSE | jq -r .state)" = provisioning

AGENTIMAGE=`curl -s -H "Authorization: Bearer $APITOKEN" $SERVER/v3/settings/agent-image --insecure | jq -r .value`
check "agent image is set" grep -Eq '^[a-z0-9./-]+:v[0-9.]+' <<<"$AGENTIMAGE"

ROLEFLAGS="--etcd --controlplane --worker"
RANCHERSERVER="https://rancher_server_address"

# Generate token (clusterRegistrationToken)
AGENTTOKEN=`curl -s "$SERVER/v3/clusterregistrationtoken" -H 'content-type: application/json' -H "Authorization: Bearer $APITOKEN" --data-binary '{"type":"clusterRegistrationToken","clusterId":"'$CLUSTERID'"}' --insecure | jq -r .token`
check "registration token generated" grep -Eq '^[a-z0-9]{54}$' <<<"$AGENTTOKEN"

# Retrieve CA certificate and generate checksum
CACHECKSUM=`curl -s -H "Authorization: Bearer $APITOKEN" $SERVER/v3/settings/cacerts --insecure | jq -r .value | sha256sum | awk '{ print $1 }'`
check "CA checksum computed" grep -Eq '^[0-9a-f]{64}$' <<<"$CACHECKSUM"

# Assemble the docker run command
AGENTCOMMAND="docker run -d --restart=unless-stopped -v /var/run/docker.sock:/var/run/docker.sock --net=host $AGENTIMAGE $ROLEFLAGS --server $RANCHERSERVER --token $AGENTTOKEN --ca-checksum $CACHECKSUM"
echo $AGENTCOMMAND

# The server's own nodeCommand carries the same checksum and token.
NODECOMMAND=`curl -s -H "Authorization: Bearer $APITOKEN" "$SERVER/v3/clusterregistrationtokens?token=$AGENTTOKEN" --insecure | jq -r '.data[0].nodeCommand'`
check "nodeCommand pins the same CA checksum" grep -q -- "--ca-checksum $CACHECKSUM" <<<"$NODECOMMAND"
check "nodeCommand carries the token" grep -q -- "--token $AGENTTOKEN" <<<"$NODECOMMAND"

# Protip: basic auth with the API key
SETTINGS=`curl -s -u $APITOKEN $SERVER/v3/settings --insecure`
check "basic auth with the API key lists settings" test "$(echo $SETTINGS | jq -r .type)" = collection

# Beyond the post: the serving certificate verifies against cacerts, the old password is gone, bad tokens fail.
CAFILE=$(mktemp)
trap 'rm -f "$CAFILE"' EXIT
curl -s -u $APITOKEN $SERVER/v3/settings/cacerts --insecure | jq -r .value > "$CAFILE"
check "serving certificate verifies against cacerts" curl -sf --cacert "$CAFILE" "$SERVER/ping"
OLD=`curl -s -o /dev/null -w '%{http_code}' "$SERVER/v3-public/localProviders/local?action=login" -H 'content-type: application/json' --data-binary '{"username":"admin","password":"admin"}' --insecure`
check "old password no longer logs in (401)" test "$OLD" = 401
NEW=`curl -s "$SERVER/v3-public/localProviders/local?action=login" -H 'content-type: application/json' --data-binary '{"username":"admin","password":"thisisyournewpassword"}' --insecure | jq -r .token`
check "new password logs in" grep -Eq '^token-' <<<"$NEW"
BAD=`curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer token-zzzzz:notasecret" $SERVER/v3/clusters --insecure`
check "a bad token gets 401" test "$BAD" = 401
echo "seed flow: all steps passed"
