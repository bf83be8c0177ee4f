#!/usr/bin/env bash
# Records the golden capture files (as root) with BUILD/ipcdump and the
# test programs in BUILD/progs.  Run once; the files are then kept as they
# are, so that they also prove that old captures read back unchanged.  The
# ones in the repository come from commit 1b47531 (before the engine moved
# into folders).
#
#   tests/golden/capture.sh BUILD [NAME...]
#
# Each capture is filtered to the test programs' own processes (ipct-*), so
# that nothing else that ran on the machine ends up in the repository.
set -eu
build=$(cd "${1:?usage: capture.sh BUILD [NAME...]}" && pwd)
shift
here=$(cd "$(dirname "$0")" && pwd)
out=$here/captures
progs=$build/progs
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$out"
cd "$scratch"

# capture NAME COMMAND FILTER IPCDUMP-ARGS...: trace while COMMAND (a
# function below) runs, stop ipcdump with SIGINT, then keep only the
# channels FILTER matches (-w writes all it saw: filters apply on reading).
capture() {
	local name=$1 run=$2 filter=$3 log=$scratch/$1.log raw=$scratch/$1.raw
	local z=()
	shift 3
	[[ $name == *.zst ]] && z=(-z)
	rm -f "$out/$name"
	"$build/ipcdump" -w "$raw" "$@" 2>"$log" &
	local pid=$!
	# builtins only: a sleep or grep here would show in the signals capture
	until [[ -f $log && $(<"$log") == *"ipcdump: tracing"* ]]; do
		kill -0 "$pid" || { cat "$log"; return 1; }
		read -r -t 0.1 <> <(:) || true
	done
	$run >/dev/null
	read -r -t 0.5 <> <(:) || true
	kill -INT "$pid"
	wait "$pid"
	"$build/ipcdump" -q -r "$raw" -w "$out/$name" "${z[@]}" "$@" "$filter"
	echo "$name: $(stat -c %s "$raw") bytes traced, $(stat -c %s "$out/$name") kept"
}

ipct='comm == "ipct-*"'

pipes() {
	"$progs/ipcgen" pipe "hello through a pipe"
	"$progs/ipcgen" fifo
	"$progs/ipcgen" short
	"$progs/ipcgen" writev
}
signals() {
	"$progs/ipcgen" signals
	"$progs/ipcgen" failkill
	timeout 0.3 sleep 5 || true
true
}
unix_sockets() {
	"$progs/unixgen" conn stream /tmp/ipct-golden.sock 3
	"$progs/unixgen" conn seqpacket @ipct-golden-seq 2
	"$progs/unixgen" conn stream pair 2
	"$progs/unixgen" dgram @ipct-golden-dgram 3
	"$progs/unixgen" passfd /dev/null
	"$progs/unixgen" creds
}
loopback() {
	"$progs/netgen" tcp 4 2
	"$progs/netgen" udp 4
	"$progs/netgen" tcp 6 1
	"$progs/netgen" udp 6
}
queues() {
	"$progs/mqgen" sysv
	"$progs/mqgen" posix
}
shared_memory() {
	"$progs/shmgen" sysv
	"$progs/shmgen" sem
}

pty() { "$progs/ptygen" talk; }
tree() {
	"$build/ipcdump" -w "$out/tree.ipcd" -x -t pipe -- \
		sh -c 'printf inside-msg | cat >/dev/null; printf abc | tr a b >/dev/null' 2>/dev/null
	echo "tree.ipcd: $(stat -c %s "$out/tree.ipcd") bytes"
}

want() { [ ${#names[@]} -eq 0 ] || [[ " ${names[*]} " == *" $1 "* ]]; }
names=("$@")
want pipes.ipcd && capture pipes.ipcd pipes "$ipct" -x -t pipe
# the timer's signal comes from timeout(1), not from an ipct-* process
want signals.ipcd && capture signals.ipcd signals "$ipct or comm == timeout" \
	-x -t signal --kernel-signals
want unix.ipcd && capture unix.ipcd unix_sockets "$ipct" -x -t unix --lifecycle
want loopback.ipcd.zst && capture loopback.ipcd.zst loopback "$ipct" -x -t lo --lifecycle
want pty.ipcd && capture pty.ipcd pty "$ipct" -x -t pty
want mq.ipcd && capture mq.ipcd queues "$ipct" -x -t mq --lifecycle
want shm.ipcd && capture shm.ipcd shared_memory "$ipct" -x -t shm
want tree.ipcd && tree
true
