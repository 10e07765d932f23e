#!/opt/vigil-vm/bin/sh
# PID 1 of the VM test guest (tests/vm/run_vm_tests.py builds it into the initramfs as /init).
# Mounts what vigild and the kernel tests use, reports the feature probe of a short-lived
# vigild, runs the kernel suite, sends the results to the host and powers off.
#
# Two serial ports: ttyS0 is the console (kernel messages, test output: the log attached to a
# failure), ttyS1 carries only the results, so kernel messages never interleave with them.
# Result lines (host side: tests/vm/guest_report.py):
#   VIGIL-VM-FEATURES <vigild's "kernel <release> features: ..." text>
#   VIGIL-VM-ERROR <what went wrong before or around the suite>
#   VIGIL-VM-UPTIME <event> <seconds since boot>
#   VIGIL-VM-XML-BEGIN / base64 lines / VIGIL-VM-XML-END   the suite's gtest XML
#   VIGIL-VM-EXIT <suite exit status>
#   VIGIL-VM-DONE                                           the last line, if all was sent
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/opt/vigil-vm/bin
export HOME=/root
. /etc/vigil-vm.conf  # VIGIL_BUILD_DIR, VIGIL_GTEST_FILTER, VIGIL_FEATURE_TIMEOUT

mount -t devtmpfs devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
ip link set lo up  # the connect tests use 127.0.0.1
hostname vigil-vm

stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1
result() { echo "$*" >&3; }
uptime_mark() { result "VIGIL-VM-UPTIME $1 $(cut -d' ' -f1 /proc/uptime)"; }
uptime_mark init

echo "vigil-vm: kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
# vigil.require=<features> on the command line: kernel tests needing them fail, not skip.
for word in $(cat /proc/cmdline); do
  case "$word" in vigil.require=*) export VIGIL_REQUIRE_FEATURES="${word#vigil.require=}" ;; esac
done
echo "vigil-vm: required features: ${VIGIL_REQUIRE_FEATURES:-none}"
# TCG runs everything several times slower: the kernel tests stretch their deadlines.
export VIGIL_KT_TIME_SCALE=3
echo "vigil-vm: active LSMs: $(cat /sys/kernel/security/lsm)"

# Feature probe: vigild logs "kernel <release> features: ..." right after its start-up checks.
# Wait for that line (or vigild's exit) with a deadline, then stop it.
probe_dir=/run/vigil-feature-probe
mkdir -p "$probe_dir"
"$VIGIL_BUILD_DIR/vigild" --run-dir "$probe_dir" --server-address "unix://$probe_dir/vigil.sock" \
  --print-events none --node-name vigil-vm 2>"$probe_dir/stderr" >/dev/null &
probe_pid=$!
deadline=$(( $(cut -d. -f1 /proc/uptime) + VIGIL_FEATURE_TIMEOUT ))
features=""
while [ -z "$features" ] && kill -0 "$probe_pid" 2>/dev/null &&
      [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ]; do
  features="$(grep -o 'kernel .* features:.*' "$probe_dir/stderr" | head -n1)"
  [ -n "$features" ] || sleep 0.1  # polls a file vigild writes; nothing to block on
done
[ -n "$features" ] || features="$(grep -o 'kernel .* features:.*' "$probe_dir/stderr" | head -n1)"
if [ -n "$features" ]; then
  result "VIGIL-VM-FEATURES $features"
else
  result "VIGIL-VM-ERROR vigild printed no feature line within ${VIGIL_FEATURE_TIMEOUT}s"
fi
kill -TERM "$probe_pid" 2>/dev/null
wait "$probe_pid"
echo "vigil-vm: feature-probe vigild exited with status $?; its stderr:"
cat "$probe_dir/stderr"
uptime_mark probe-done

xml=/tmp/vigil-vm-results.xml
set -- "--gtest_output=xml:$xml" --gtest_color=no
[ -n "$VIGIL_GTEST_FILTER" ] && set -- "$@" "--gtest_filter=$VIGIL_GTEST_FILTER"
echo "vigil-vm: running $VIGIL_BUILD_DIR/tests/vigil_kernel_tests $*"
cd /tmp
"$VIGIL_BUILD_DIR/tests/vigil_kernel_tests" "$@" 2>&1
status=$?
uptime_mark suite-done
echo "vigil-vm: vigil_kernel_tests exited with status $status"

# vigild's log keeps only the start of a verifier log; bpftool prints all of it. On a failed
# suite, load the same object once so the console shows why the kernel refused a program.
bpf_obj="$VIGIL_BUILD_DIR/bpf/vigil.bpf.o"
if [ "$status" -ne 0 ] && [ -f "$bpf_obj" ]; then
  mkdir -p /sys/fs/bpf/vigil-vm-check
  if bpftool prog loadall "$bpf_obj" /sys/fs/bpf/vigil-vm-check >/tmp/bpftool.log 2>&1; then
    echo "vigil-vm: bpftool loads every program of $bpf_obj on this kernel"
  else
    echo "vigil-vm: bpftool cannot load $bpf_obj; the end of its log (source lines dropped):"
    grep -v '^;' /tmp/bpftool.log | tail -n 40
  fi
  rm -rf /sys/fs/bpf/vigil-vm-check
fi

if [ -s "$xml" ]; then
  result "VIGIL-VM-XML-BEGIN"
  base64 "$xml" >&3
  result "VIGIL-VM-XML-END"
else
  result "VIGIL-VM-ERROR vigil_kernel_tests wrote no XML report ($xml)"
fi
result "VIGIL-VM-EXIT $status"
result "VIGIL-VM-DONE"
exec 3>&-  # the last close of a tty waits until its output has been sent
sync
# The host starts qemu with -no-reboot, so a reboot ends it.
reboot -f
