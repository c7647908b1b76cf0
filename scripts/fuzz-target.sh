#!/bin/sh
# Runs one fuzz target for a while: fuzz-target.sh DIR PKG NAME FUZZTIME.
#
# Go's fuzzing coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" when a loaded machine delays a worker at the
# deadline (a race in the coordinator, golang/go#75804). Such a run found
# nothing: a finding always prints "Failing input written to ...". That
# case alone is run once more; every other failure fails.
set -u
dir=$1 pkg=$2 name=$3 fuzztime=$4
go=${GO:-go}
for attempt in 1 2; do
	out=$(cd "$dir" && "$go" test -run='^$' -fuzz="^$name\$" -fuzztime="$fuzztime" "$pkg" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ "$rc" -eq 0 ]; then
		exit 0
	fi
	if printf '%s' "$out" | grep -q 'context deadline exceeded' &&
		! printf '%s' "$out" | grep -q 'Failing input written'; then
		echo "fuzz $pkg:$name: the coordinator's deadline race (attempt $attempt), nothing found; running again"
		continue
	fi
	exit "$rc"
done
exit 1
