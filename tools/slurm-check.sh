#!/usr/bin/env bash
# tools/slurm-check.sh: runs the README's Slurm array job ("Sharding a large batch") on a real,
# local, one-node Slurm and checks the merged result against a single-process `cvrnet score`.
#
#   sudo tools/slurm-check.sh [--tasks N] [--copies C] [--cpus-per-task P] [--no-requeue]
#                             [--timeout S] [--keep]
#
# What it does, as root on Debian 12:
#   1. installs Debian's slurm-wlm and munge if missing (apt-get), builds the release cvrnet
#      if missing;
#   2. writes its own slurm.conf (one node: this host with the CPUs and memory `slurmd -C`
#      reports, no cgroups, cons_tres/CR_Core) and munge key into a temporary directory, and
#      starts munged, slurmctld and slurmd from there (no configuration under /etc/slurm or
#      /etc/munge is written or used);
#   3. builds a test directory: the sample images copied C times into subfolders plus one
#      truncated PNG;
#   4. submits the README's array job (`--array=1-N`, `cvrnet score DIR --shard
#      ${SLURM_ARRAY_TASK_ID}/N --output part-${SLURM_ARRAY_TASK_ID}.csv --resume`), waits for it
#      (squeue, with a timeout), merges the parts with the README's awk line. While it runs, one
#      task is interrupted once it has written a few rows (`scontrol requeue`, as a preemption
#      or node failure would), so Slurm runs it again and `--resume` continues its part
#      (--no-requeue skips this);
#   5. checks: every task ran and exited 0, except the one whose shard holds the bad file (exit 1,
#      "one or more images failed"); every file is in the merged CSV exactly once, the bad one as
#      an error row; the merged CSV has the same rows, byte for byte, as one `cvrnet score` of
#      the whole directory (after sorting by path); the requeued task restarted once and its
#      second run found the rows of the first in its part and scored only the rest.
#   6. stops the daemons it started and deletes the temporary directory (trap; --keep keeps it).
#
# Exit status 0 = PASS, 1 = FAIL, 2 = could not set up (not root, install/build/daemon failure).
# Not part of tools/test.sh: it installs packages and starts daemons.
# The reference weights are untrained: the scores mean nothing clinically; only their equality
# between the sharded and the single run is checked.
set -uo pipefail

TASKS=4
COPIES=5
CPUS_PER_TASK=1
TIMEOUT=900
KEEP=0
REQUEUE=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --tasks) TASKS=$2; shift 2 ;;
        --copies) COPIES=$2; shift 2 ;;
        --cpus-per-task) CPUS_PER_TASK=$2; shift 2 ;;
        --timeout) TIMEOUT=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --no-requeue) REQUEUE=0; shift ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "slurm-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for v in TASKS COPIES CPUS_PER_TASK TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "slurm-check: ${v,,} must be a positive integer" >&2; exit 2; }
done
[[ $TASKS -ge 2 ]] || { echo "slurm-check: --tasks must be at least 2" >&2; exit 2; }

cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
T0=$(date +%s)
say() { printf '[slurm-check %3ds] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { say "SETUP ERROR: $*"; exit 2; }

[[ $(id -u) -eq 0 ]] || die "run as root (it installs packages and starts munged, slurmctld and slurmd)"

# ---------------------------------------------------------------- cleanup (always)
WORK=""
STARTED_PIDS=()      # "name:pid" of every daemon this script started
JOBID=""
POLICY_RC_CREATED=0
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ $POLICY_RC_CREATED -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
    if [[ -n $JOBID ]] && squeue -h -j "$JOBID" 2>/dev/null | grep -q .; then
        say "cancelling job $JOBID"
        scancel "$JOBID" 2>/dev/null
        for _ in $(seq 30); do squeue -h -j "$JOBID" 2>/dev/null | grep -q . || break; sleep 1; done
    fi
    # Stop in reverse order of start: slurmd, slurmctld, munged.
    local i entry name pid
    for (( i=${#STARTED_PIDS[@]}-1; i>=0; i-- )); do
        entry=${STARTED_PIDS[$i]}; name=${entry%%:*}; pid=${entry##*:}
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null; say "$name (pid $pid) killed"; fi
        wait "$pid" 2>/dev/null
    done
    if [[ ${#STARTED_PIDS[@]} -gt 0 ]]; then
        local alive=0
        for entry in "${STARTED_PIDS[@]}"; do kill -0 "${entry##*:}" 2>/dev/null && alive=1; done
        [[ $alive -eq 0 ]] && say "stopped the daemons it started: ${STARTED_PIDS[*]}" \
            || say "WARNING: some daemons are still running: ${STARTED_PIDS[*]}"
    fi
    if [[ -n $WORK && -d $WORK ]]; then
        if [[ $KEEP -eq 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- 1. packages and binary
missing=()
for cmd in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
    command -v "${cmd%%:*}" >/dev/null 2>&1 || missing+=("${cmd##*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    say "installing slurm-wlm and munge (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    had_munge_key=0; [[ -e /etc/munge/munge.key ]] && had_munge_key=1
    # Keep the packages' own services (munge.service, ...) from being started by the install:
    # this script runs its own daemons and leaves none behind.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
        POLICY_RC_CREATED=1
    fi
    if ! apt-get install -y --no-install-recommends slurm-wlm munge >"${TMPDIR:-/tmp}/slurm-check-apt.log" 2>&1; then
        apt-get update >>"${TMPDIR:-/tmp}/slurm-check-apt.log" 2>&1
        apt-get install -y --no-install-recommends slurm-wlm munge >>"${TMPDIR:-/tmp}/slurm-check-apt.log" 2>&1 \
            || { tail -20 "${TMPDIR:-/tmp}/slurm-check-apt.log"; die "apt-get install slurm-wlm munge failed"; }
    fi
    if [[ $POLICY_RC_CREATED -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
    rm -f "${TMPDIR:-/tmp}/slurm-check-apt.log"
    [[ $had_munge_key -eq 0 && -e /etc/munge/munge.key ]] && say "note: the munge package created /etc/munge/munge.key (this script does not use it)"
    # On a systemd host the units may still have been enabled: they are not started now, and
    # slurmctld/slurmd's units only run when /etc/slurm/slurm.conf exists (this script writes none).
fi
say "$(slurmctld -V), $(munged --version 2>&1 | awk '{print $1; exit}')"

CVRNET=$ROOT/.build/release/cvrnet
if [[ ! -x $CVRNET ]]; then
    say "building the release cvrnet (swift build -c release --product cvrnet)"
    swift build -c release --product cvrnet >"${TMPDIR:-/tmp}/slurm-check-build.log" 2>&1 \
        || { tail -20 "${TMPDIR:-/tmp}/slurm-check-build.log"; die "swift build failed"; }
    rm -f "${TMPDIR:-/tmp}/slurm-check-build.log"
fi
[[ -f $ROOT/weights/reference-2class-keras231-weights.hdf5 || -n ${CVRNET_WEIGHTS:-} ]] \
    || die "no default weights file (weights/reference-2class-keras231-weights.hdf5): run tools/prepare.sh"

# ---------------------------------------------------------------- 2. a one-node Slurm in a temp dir
WORK=$(mktemp -d /tmp/cvrnet-slurm-check.XXXXXX) || die "mktemp failed"
chmod 755 "$WORK"   # munged (unprivileged) must reach its folder below
mkdir -p "$WORK"/{slurm/state,slurm/spool,slurm/log,munge,data,job,single}

# munged: its own key, socket, pid, log and seed files under $WORK/munge, run as the munge user
# the package created (munged refuses root unless forced). Nothing in /etc/munge is used.
MUNGE_DIR=$WORK/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket
MUNGE_USER=root
id munge >/dev/null 2>&1 && MUNGE_USER=munge
dd if=/dev/urandom of="$MUNGE_DIR/munge.key" bs=1024 count=1 status=none
chmod 755 "$MUNGE_DIR"; chmod 400 "$MUNGE_DIR/munge.key"   # munged: socket dir traversable by all
chown -R "$MUNGE_USER:" "$MUNGE_DIR"
munge_args=(--foreground --key-file="$MUNGE_DIR/munge.key" --socket="$MUNGE_SOCKET"
            --pid-file="$MUNGE_DIR/munged.pid" --log-file="$MUNGE_DIR/munged.log"
            --seed-file="$MUNGE_DIR/munged.seed")
if [[ $MUNGE_USER == root ]]; then
    munged --force "${munge_args[@]}" 2>"$MUNGE_DIR/munged.stderr" &
else
    setpriv --reuid=munge --regid=munge --init-groups munged "${munge_args[@]}" 2>"$MUNGE_DIR/munged.stderr" &
fi
STARTED_PIDS+=("munged:$!")
for _ in $(seq 50); do [[ -S $MUNGE_SOCKET ]] && break; sleep 0.2; done
[[ -S $MUNGE_SOCKET ]] || { cat "$MUNGE_DIR/munged.stderr" 2>/dev/null; die "munged did not start"; }
munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null \
    || die "munge/unmunge round trip on $MUNGE_SOCKET failed"
say "munged up (user $MUNGE_USER, key and socket in the temp dir)"

# Free TCP ports for slurmctld and slurmd (the defaults 6817/6818 unless taken).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { local p=$1; while ! port_free "$p" || [[ $p == "${2:-}" ]]; do p=$((p + 2)); done; echo "$p"; }
CTLD_PORT=$(pick_port 6817)
SLURMD_PORT=$(pick_port 6818 "$CTLD_PORT")

HOST=$(hostname -s)
# `slurmd -C` prints this node's real hardware as a NodeName line; keep everything but the name.
NODE_HW=$(slurmd -C 2>/dev/null | awk '/^NodeName=/ { for (i = 2; i <= NF; i++) printf "%s ", $i }')
[[ $NODE_HW == *CPUs=* ]] || die "slurmd -C did not print the node's hardware"
CONF=$WORK/slurm/slurm.conf
S=$WORK/slurm
cat > "$CONF" <<EOF
# One-node Slurm written by tools/slurm-check.sh; everything lives under $S.
ClusterName=cvrnetcheck
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued task waits before it may start again (default 120 s).
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=20
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
# No cgroups: plain process tracking, no task binding or accounting (works in containers too).
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
# Cores are the unit of allocation: tasks of fewer cores than the node share it.
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=5,bf_interval=5
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
JobRequeue=1
MailProg=/bin/true
# Keep finished jobs visible to scontrol for 10 minutes (exit codes are read from there).
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 $NODE_HW State=UNKNOWN
PartitionName=check Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$CONF

# -D: stay in the foreground (this script's children, stopped by pid); -c: no old state.
slurmctld -D -c -f "$CONF" >"$S/log/slurmctld.stderr" 2>&1 &
STARTED_PIDS+=("slurmctld:$!")
slurmd -D -f "$CONF" >"$S/log/slurmd.stderr" 2>&1 &
STARTED_PIDS+=("slurmd:$!")
show_logs() {
    local f
    for f in "$S"/log/*.log "$MUNGE_DIR"/munged.stderr; do echo "---- ${f##*/} (last 15 lines)"; tail -15 "$f"; done
}
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -N -n "$HOST" -o '%T' 2>/dev/null | head -1)
    [[ $state == idle ]] && break
    sleep 1
done
[[ $state == idle ]] || { show_logs; die "node $HOST did not become idle (state '${state:-unknown}')"; }
say "slurmctld (port $CTLD_PORT) and slurmd (port $SLURMD_PORT) up; node $HOST idle: $NODE_HW"

# ---------------------------------------------------------------- 3. the test directory
DATA=$WORK/data
shopt -s nullglob
samples=("$ROOT"/Tests/Fixtures/sample-images/*.png "$ROOT"/Tests/Fixtures/sample-images/*.jpg)
shopt -u nullglob
[[ ${#samples[@]} -gt 0 ]] || die "no sample images in Tests/Fixtures/sample-images"
for c in $(seq "$COPIES"); do
    mkdir -p "$DATA/copy-$c"
    cp "${samples[@]}" "$DATA/copy-$c/"
done
# The bad file: a PNG cut off after 100 bytes (signature and IHDR intact, data missing).
BAD=copy-1/truncated.png
head -c 100 "$ROOT/Tests/Fixtures/sample-images/png-rgb8-333x287.png" > "$DATA/$BAD"
(cd "$DATA" && find . -type f \( -name '*.png' -o -name '*.jpg' \) | sed 's|^\./||' | LC_ALL=C sort) > "$WORK/expected-files"
NFILES=$(wc -l < "$WORK/expected-files")
say "test directory: $NFILES files ($COPIES copies of ${#samples[@]} sample images in subfolders + $BAD)"

# ---------------------------------------------------------------- 4. the README's array job
JOBDIR=$WORK/job
cat > "$JOBDIR/score.sbatch" <<EOF
#!/bin/bash
#SBATCH --array=1-$TASKS
#SBATCH --cpus-per-task=$CPUS_PER_TASK
#SBATCH --job-name=cvrnet-score
#SBATCH --output=slurm-%A_%a.out
cvrnet score $DATA --shard \${SLURM_ARRAY_TASK_ID}/$TASKS --output part-\${SLURM_ARRAY_TASK_ID}.csv --resume
EOF
say "job script ($JOBDIR/score.sbatch):"
sed 's/^/    /' "$JOBDIR/score.sbatch"

T_SUBMIT=$(date +%s.%N)
JOBID=$(cd "$JOBDIR" && PATH=$ROOT/.build/release:$PATH sbatch --parsable score.sbatch) \
    || { show_logs; die "sbatch failed"; }
JOBID=${JOBID%%;*}
say "submitted array job $JOBID ($TASKS tasks, $CPUS_PER_TASK CPU(s) each)"
deadline=$(( $(date +%s) + TIMEOUT ))
last=""
max_running=0
REQUEUED_TASK=""
REQUEUED_ROWS=0
while :; do
    counts=$(squeue -h -r -j "$JOBID" -o '%T' 2>/dev/null | sort | uniq -c | awk '{printf "%s %s, ", $1, tolower($2)}')
    [[ -z $counts ]] && break
    running_tasks=$(squeue -h -r -j "$JOBID" -t RUNNING -o '%K' 2>/dev/null)
    running=$(printf '%s' "$running_tasks" | grep -c .)
    (( running > max_running )) && max_running=$running
    # Interrupt the first running task that has written at least 3 rows.
    if [[ $REQUEUE -eq 1 && -z $REQUEUED_TASK ]]; then
        for k in $running_tasks; do
            rows=$(( $(wc -l 2>/dev/null < "$JOBDIR/part-$k.csv" || echo 1) - 1 ))
            if (( rows >= 3 )); then
                if scontrol requeue "${JOBID}_$k" 2>"$WORK/requeue.err"; then
                    REQUEUED_TASK=$k; REQUEUED_ROWS=$rows
                    say "  requeued task $k (interrupted after it had written $rows rows)"
                else
                    say "  scontrol requeue ${JOBID}_$k failed: $(cat "$WORK/requeue.err")"; REQUEUED_TASK=failed
                fi
                break
            fi
        done
    fi
    [[ $counts != "$last" ]] && { say "  ${counts%, }"; last=$counts; }
    if (( $(date +%s) > deadline )); then show_logs; say "FAIL: job $JOBID still not done after ${TIMEOUT}s"; exit 1; fi
    sleep 1
done
T_DONE=$(date +%s.%N)
ARRAY_SECONDS=$(awk -v a="$T_SUBMIT" -v b="$T_DONE" 'BEGIN { printf "%.1f", b - a }')
say "array job $JOBID finished in ${ARRAY_SECONDS}s (at most $max_running task(s) seen running at once)"

# Merge as the README says.
(cd "$JOBDIR" && awk 'FNR>1 || NR==1' part-*.csv > all.csv)

# ---------------------------------------------------------------- 5. single-process reference
T1=$(date +%s.%N)
"$CVRNET" score "$DATA" --output "$WORK/single/all.csv" 2>"$WORK/single/stderr"
SINGLE_STATUS=$?
SINGLE_SECONDS=$(awk -v a="$T1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
say "single-process cvrnet score: exit $SINGLE_STATUS in ${SINGLE_SECONDS}s"

# ---------------------------------------------------------------- 6. checks
FAILURES=()
check() {   # check "what" command...
    local what=$1; shift
    if "$@"; then say "ok   $what"; else say "FAIL $what"; FAILURES+=("$what"); fi
}

# Per-task state and exit code from slurmctld (kept for MinJobAge).
scontrol -o show job "$JOBID" > "$WORK/tasks.txt" 2>/dev/null
task_field() { awk -v t="ArrayTaskId=$1" -v f="$2=" '$0 ~ (t " ") { for (i = 1; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }' "$WORK/tasks.txt"; }
# The part holding the bad file's error row: its task must exit 1, all others 0.
bad_part=$(cd "$JOBDIR" && grep -l "^$BAD," part-*.csv 2>/dev/null | head -1)
bad_task=${bad_part#part-}; bad_task=${bad_task%.csv}
tasks_ok=1
for k in $(seq "$TASKS"); do
    st=$(task_field "$k" JobState); ec=$(task_field "$k" ExitCode)
    start=$(task_field "$k" StartTime); end=$(task_field "$k" EndTime)
    rows=$(( $(wc -l 2>/dev/null < "$JOBDIR/part-$k.csv" || echo 1) - 1 ))
    restarts=$(task_field "$k" Restarts)
    summary=$(grep -h 'cvrnet: scored' "$JOBDIR"/slurm-"${JOBID}_$k".out 2>/dev/null | tail -1)
    say "  task $k: $st exit $ec, restarts $restarts, ${start##*T}-${end##*T}, part-$k.csv $rows rows${summary:+; ${summary#cvrnet: }}"
    if [[ $k == "$bad_task" ]]; then
        [[ $st == FAILED && $ec == 1:0 ]] || tasks_ok=0
    else
        [[ $st == COMPLETED && $ec == 0:0 ]] || tasks_ok=0
    fi
done
check "all $TASKS tasks ran: task $bad_task (the bad file's shard) exited 1 = images failed, the others 0" \
    test "$tasks_ok" -eq 1 -a -n "$bad_task"
if [[ $REQUEUE -eq 1 ]]; then
    resume_line=$(grep -h 'resume:.*already in' "$JOBDIR"/slurm-"${JOBID}_$REQUEUED_TASK".out 2>/dev/null | tail -1)
    say "     task $REQUEUED_TASK after its requeue: ${resume_line#cvrnet: }"
    already=$(printf '%s' "${resume_line#cvrnet: }" | awk '{print $2}')
    check "requeued task $REQUEUED_TASK restarted once and resumed its part (kept $already rows of its first run, which had >= $REQUEUED_ROWS)" \
        test -n "$already" -a "$(task_field "$REQUEUED_TASK" Restarts)" == 1 -a "${already:-0}" -ge "$REQUEUED_ROWS"
fi
check "single-process run exited 1 (images failed: the bad file)" test "$SINGLE_STATUS" -eq 1

headers_same() {
    local h f
    h=$(head -1 "$WORK/single/all.csv")
    for f in "$JOBDIR"/part-*.csv; do [[ $(head -1 "$f") == "$h" ]] || return 1; done
    [[ $(head -1 "$JOBDIR/all.csv") == "$h" && $(grep -cxF "$h" "$JOBDIR/all.csv") -eq 1 ]]
}
check "every part starts with the same header as the single run; all.csv has it once" headers_same

# Paths never contain commas or quotes here, so the first field is the path.
tail -n +2 "$JOBDIR/all.csv" | cut -d, -f1 | LC_ALL=C sort > "$WORK/merged-paths"
dups=$(uniq -d "$WORK/merged-paths" | wc -l)
merged_rows=$(wc -l < "$WORK/merged-paths")
check "merged CSV: $merged_rows rows for $NFILES files, $dups paths twice" \
    test "$merged_rows" -eq "$NFILES" -a "$dups" -eq 0
check "merged CSV paths = the files in the directory" cmp -s "$WORK/merged-paths" "$WORK/expected-files"

error_rows=$(tail -n +2 "$JOBDIR/all.csv" | grep -v ',$' | cut -d, -f1)
bad_row=$(grep "^$BAD," "$JOBDIR/all.csv")
check "exactly one error row, for $BAD (label and probabilities empty, error given)" \
    test "$error_rows" == "$BAD" -a "$(printf '%s' "$bad_row" | cut -d, -f2)" == ""
[[ -n $bad_row ]] && say "     $bad_row"

sorted_rows() { tail -n +2 "$1" | LC_ALL=C sort; }
sorted_rows "$JOBDIR/all.csv" > "$WORK/merged-sorted"
sorted_rows "$WORK/single/all.csv" > "$WORK/single-sorted"
check "merged CSV = single-process CSV, row for row and byte for byte (sorted by path)" \
    cmp -s "$WORK/merged-sorted" "$WORK/single-sorted"
if ! cmp -s "$WORK/merged-sorted" "$WORK/single-sorted"; then
    diff "$WORK/single-sorted" "$WORK/merged-sorted" | head -10 | sed 's/^/     /'
fi

TOTAL=$(( $(date +%s) - T0 ))
echo
if [[ ${#FAILURES[@]} -eq 0 ]]; then
    echo "PASS: Slurm array job $JOBID, $TASKS tasks ($CPUS_PER_TASK CPU(s) each, up to $max_running at once) scored $NFILES files" \
         "(1 bad) in ${ARRAY_SECONDS}s; merged = single-process run (${SINGLE_SECONDS}s); ${TOTAL}s in all"
    exit 0
else
    show_logs
    printf 'FAIL (%d checks):\n' "${#FAILURES[@]}"; printf '  - %s\n' "${FAILURES[@]}"
    exit 1
fi
