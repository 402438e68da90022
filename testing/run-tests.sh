#!/bin/bash
# run-tests.sh - every test of ikev2d, as CI runs them (the README's test
# command).  From a fresh clone:
#   1. ./autogen.sh, configure --enable-werror, build, make check
#   2. make distcheck (the tarball builds and passes make check on its own)
#   3. a second build with --enable-sanitizers (ASan + UBSan): make check,
#      and a third with --enable-tsan (ThreadSanitizer): make check
#   4. every executable testing/suites/*.sh (exit 0 = pass, 77 = skip,
#      anything else = fail), run against the build of step 1
# Per-suite results are printed as they finish; the last line is
# "N passed, N failed, N skipped" and the exit status is non-zero if
# anything failed.  Logs go to build-tests/logs/.
#
# Environment: JOBS (parallel make jobs, default 2), SKIP_DISTCHECK=1 and
# SKIP_SANITIZERS=1 (and SKIP_TSAN=1) to leave steps out when iterating locally.  CI=true
# counts every skipped test (automake SKIP, a suite's exit 77, a step left
# out) as a failure: CI installs everything, so nothing may skip there.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=${JOBS:-2}
out="$top/build-tests"
logs="$out/logs"
rm -rf "$logs"
mkdir -p "$logs"

passed=0 failed=0 skipped=0
summary=()

# Each line carries the step's wall time, so the CI budget (45 min) can be
# followed suite by suite.
step_t0=$(date +%s)
note() {   # name, result, detail
	local secs=$(( $(date +%s) - step_t0 ))
	summary+=("$(printf '%-28s %-5s %4ss %s' "$1" "$2" "$secs" "$3")")
	printf '== %-28s %-5s %4ss %s\n' "$1" "$2" "$secs" "$3"
	step_t0=$(date +%s)
}

strict=false
[ "${CI:-}" = true ] && strict=true

# A skip: a failure under CI=true.
skip_note() {   # name, detail
	if $strict; then
		failed=$((failed + 1)); note "$1" FAIL "skipped under CI=true: $2"
	else
		skipped=$((skipped + 1)); note "$1" SKIP "$2"
	fi
}

# Run a step, output to its log; show the log's tail when it fails.
run_step() {   # name, command...
	local name=$1; shift
	if "$@" >"$logs/$name.log" 2>&1; then
		return 0
	fi
	echo "---- $name failed; last lines of $logs/$name.log:"
	tail -n 40 "$logs/$name.log"
	echo "----"
	return 1
}

# A build step: counts as one test.
build_step() {   # name, command...
	local name=$1
	if run_step "$@"; then
		passed=$((passed + 1)); note "$name" PASS ""
		return 0
	fi
	failed=$((failed + 1)); note "$name" FAIL "see $logs/$name.log"
	return 1
}

# make check in a build dir: automake's own counts go into the total.
check_step() {   # name, builddir
	local name=$1 dir=$2
	run_step "$name" make -C "$dir" -j"$jobs" check
	local rc=$?
	local log="$logs/$name.log"
	local p f s xf xp e
	p=$(grep -E '^# PASS: ' "$log" | tail -n1 | awk '{print $3}')
	if [ -z "$p" ]; then
		# No summary: the tests did not even build.
		failed=$((failed + 1)); note "$name" FAIL "no test summary (build failed?)"
		return 1
	fi
	f=$(grep -E '^# FAIL: ' "$log" | tail -n1 | awk '{print $3}')
	s=$(grep -E '^# SKIP: ' "$log" | tail -n1 | awk '{print $3}')
	xf=$(grep -E '^# XFAIL: ' "$log" | tail -n1 | awk '{print $3}')
	xp=$(grep -E '^# XPASS: ' "$log" | tail -n1 | awk '{print $3}')
	e=$(grep -E '^# ERROR: ' "$log" | tail -n1 | awk '{print $3}')
	local bad=$((f + xp + e))
	# CI=true: a skipped unit test is a failed one.
	if $strict && [ "${s:-0}" -gt 0 ]; then
		bad=$((bad + s)); s=0
	fi
	# make failing although every test passed (e.g. a broken check-local).
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
	passed=$((passed + p + xf)); failed=$((failed + bad)); skipped=$((skipped + s))
	grep -E '^(FAIL|ERROR|XPASS|SKIP): ' "$log" | sed 's/^/     /'
	note "$name" "$([ "$bad" -eq 0 ] && echo PASS || echo FAIL)" \
		"$((p + xf)) passed, $bad failed, $s skipped"
	[ "$bad" -eq 0 ]
}

plugin_path() {   # builddir -> the IKEV2D_PLUGIN_PATH make check uses
	local b=$1
	sh "$top/testing/plugin-path.sh" "$b" "$b/testing/plugins/.libs"
}

start=$(date +%s)

# 1. werror build + make check
main_build="$out/werror"
if build_step autogen ./autogen.sh; then
	mkdir -p "$main_build"
	if build_step configure-werror sh -c "cd '$main_build' && '$top/configure' --enable-werror" &&
	   build_step build-werror make -C "$main_build" -j"$jobs"; then
		check_step check-werror "$main_build"

		# 2. distcheck
		if [ "${SKIP_DISTCHECK:-0}" = 1 ]; then
			skip_note distcheck "SKIP_DISTCHECK=1"
		else
			build_step distcheck make -C "$main_build" -j"$jobs" distcheck
		fi
	fi

	# 3. sanitizer build + make check
	if [ "${SKIP_SANITIZERS:-0}" = 1 ]; then
		skip_note check-sanitizers "SKIP_SANITIZERS=1"
	else
		san_build="$out/sanitizers"
		mkdir -p "$san_build"
		if build_step configure-sanitizers sh -c "cd '$san_build' && '$top/configure' --enable-werror --enable-sanitizers" &&
		   build_step build-sanitizers make -C "$san_build" -j"$jobs"; then
			check_step check-sanitizers "$san_build"
		fi
	fi
fi

# 3b. ThreadSanitizer build + make check (the unit tests and the daemon
# tests under TSan)
if [ "${SKIP_TSAN:-0}" = 1 ]; then
	skip_note check-tsan "SKIP_TSAN=1"
else
	tsan_build="$out/tsan"
	mkdir -p "$tsan_build"
	if build_step configure-tsan sh -c "cd '$tsan_build' && '$top/configure' --enable-werror --enable-tsan" &&
	   build_step build-tsan make -C "$tsan_build" -j"$jobs"; then
		TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}" \
			check_step check-tsan "$tsan_build"
	fi
fi

# 4. extra suites (network namespaces, interop, fuzzing, ...)
# run_suite NAME SCRIPT: one suite against the werror build; prints its
# "== name result secs detail" line and returns 0 pass, 77 skip, 1 fail.
run_suite() {
	local name=$1 suite=$2 rc
	(
		export top_srcdir="$top" top_builddir="$main_build"
		export IKEV2D_PLUGIN_PATH="$(plugin_path "$main_build")"
		export IKEV2D_SHARED="$top/../shared"
		cd "$main_build" 2>/dev/null || cd "$top"
		"$suite"
	) >"$logs/$name.log" 2>&1
	rc=$?
	case $rc in
	0)  passed=$((passed + 1)); note "$name" PASS "" ;;
	77) skip_note "$name" "$(tail -n1 "$logs/$name.log")" ;;
	*)  failed=$((failed + 1)); note "$name" FAIL "exit $rc, see $logs/$name.log"
	    tail -n 20 "$logs/$name.log" ;;
	esac
}

# The guest-* suites spend their time in a qemu guest under TCG, one core
# busy and nothing shared with the host's namespaces, while most host suites
# wait on timers: the guest suites run as a second lane beside the others
# (GUEST_LANE=serial runs everything in one lane).  The lane is a subshell:
# its counts and summary lines come back through a file.
lane_out="$out/guest-lane.result"
rm -f "$lane_out"
host_suites=() guest_suites=()
for suite in "$top"/testing/suites/*.sh; do
	[ -f "$suite" ] && [ -x "$suite" ] || continue
	case $(basename "$suite") in
	guest-*) guest_suites+=("$suite") ;;
	*)       host_suites+=("$suite") ;;
	esac
done
lane_pid=
if [ "${GUEST_LANE:-parallel}" = serial ]; then
	host_suites+=("${guest_suites[@]}")
elif [ ${#guest_suites[@]} -gt 0 ]; then
	(
		passed=0 failed=0 skipped=0 summary=()
		step_t0=$(date +%s)
		for suite in "${guest_suites[@]}"; do
			run_suite "suite-$(basename "$suite" .sh)" "$suite"
		done
		{
			echo "$passed $failed $skipped"
			printf '%s\n' "${summary[@]}"
		} > "$lane_out.tmp" && mv "$lane_out.tmp" "$lane_out"
	) &
	lane_pid=$!
fi
for suite in "${host_suites[@]}"; do
	run_suite "suite-$(basename "$suite" .sh)" "$suite"
done
if [ -n "$lane_pid" ]; then
	lane_t0=$(date +%s)
	wait "$lane_pid"
	if [ -s "$lane_out" ]; then
		read -r lp lf ls < "$lane_out"
		passed=$((passed + lp)); failed=$((failed + lf)); skipped=$((skipped + ls))
		while IFS= read -r line; do
			summary+=("$line")
		done < <(tail -n +2 "$lane_out")
	else
		failed=$((failed + 1))
		summary+=("guest lane: no result (the lane's subshell died)")
	fi
	echo "== guest lane waited for $(( $(date +%s) - lane_t0 ))s after the host suites"
fi

echo
echo "Results ($(( $(date +%s) - start )) s):"
for line in "${summary[@]}"; do
	echo "  $line"
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
