#!/usr/bin/env bash
# Starts a three-replica Runnel cluster on 127.0.0.1 in the foreground:
# clients on TCP 8090, 8091 and 8092, replicas talking over 7090..7092,
# data under ./local_data/cluster/node-N. The first run formats each
# node's journal; later runs reuse the data. Ctrl-C stops all three.
#
#   make cluster                       # build, then this script
#   CLUSTER_DIR=/tmp/c scripts/cluster.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/bin}
dir=${CLUSTER_DIR:-$root/local_data/cluster}
replicas=3
mkdir -p "$dir"

conf=$dir/cluster.toml
if [[ ! -f $conf ]]; then
	key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	{
		# One root password for every node (each would generate its own).
		printf '[root]\npassword = "%s"\n' "${RUNNEL_ROOT_PASSWORD:-$password}"
		printf '[cluster]\nmode = "vsr"\nkey = "%s"\n' "$key"
		for i in $(seq 0 $((replicas - 1))); do
			printf '[[cluster.replicas]]\nname = "node-%d"\nbus_address = "127.0.0.1:%d"\ntcp_address = "127.0.0.1:%d"\n' \
				"$i" $((7090 + i)) $((8090 + i))
		done
	} >"$conf"
	chmod 600 "$conf"
fi

node_env() {
	echo "RUNNEL_CLUSTER_REPLICA=$1" "RUNNEL_SYSTEM_PATH=$dir/node-$1" "RUNNEL_TCP_ADDRESS=127.0.0.1:$((8090 + $1))"
}

for i in $(seq 0 $((replicas - 1))); do
	if [[ ! -e $dir/node-$i/vsr ]]; then
		env $(node_env "$i") "$bin/runnel-server" format --config "$conf"
	fi
done

pids=()
stop() {
	kill "${pids[@]}" 2>/dev/null || true
	wait
}
trap stop INT TERM EXIT
for i in $(seq 0 $((replicas - 1))); do
	env $(node_env "$i") "$bin/runnel-server" --config "$conf" > >(sed -u "s/^/[node-$i] /") 2>&1 &
	pids+=($!)
done
echo "cluster: clients on 127.0.0.1:8090, :8091, :8092 as runnel, password in $conf"
# A node that dies (kill -9 to try a failover) leaves the others running.
wait
