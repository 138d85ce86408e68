#!/bin/sh
# Runs each test binary given, then prints one closing line with the totals:
# `N passed, N failed, N skipped`. Exits non-zero if anything failed.
pass=0 fail=0 skip=0 status=0
for bin in "$@"; do
	label=$(basename "$(dirname "$bin")")
	out=$(TG_TEST_LABEL="[$label]" ASAN_OPTIONS=detect_leaks=1 "$bin" 2>&1)
	rc=$?
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed'
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		echo "error: $bin ended without a summary (exit $rc)"
		fail=$((fail + 1)); status=1; continue
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
	pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
	[ "$rc" -ne 0 ] && status=1
done
echo "$pass passed, $fail failed, $skip skipped"
exit $status
