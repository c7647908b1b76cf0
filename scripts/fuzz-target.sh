#!/bin/sh
# Runs one fuzz target for a while: fuzz-target.sh DIR PKG NAME FUZZTIME.
#
# Go's fuzzing coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" when a worker is busy at the deadline (a
# race in the coordinator, golang/go#75804); targets whose inputs do file
# I/O, like FuzzRecovery, hit it more often. Such a run found nothing: a
# finding always prints "Failing input written to ...". That case alone is
# run again, bounded by a number of executions instead of time (no
# deadline, so no race); every other failure fails.
set -u
dir=$1 pkg=$2 name=$3 fuzztime=$4
go=${GO:-go}
retry_execs=${FUZZ_RETRY_EXECS:-500}
for attempt in 1 2; do
	out=$(cd "$dir" && "$go" test -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" "$pkg" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ "$rc" -eq 0 ]; then
		exit 0
	fi
	if printf '%s' "$out" | grep -q 'context deadline exceeded' &&
		! printf '%s' "$out" | grep -q 'Failing input written'; then
		echo "fuzz $pkg:$name: the coordinator's deadline race (attempt $attempt), nothing found; running again for ${retry_execs} executions"
		fuzztime=${retry_execs}x
		continue
	fi
	exit "$rc"
done
exit 1
