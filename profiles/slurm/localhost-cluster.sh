#!/bin/sh
# Install SLURM and munge from Debian's packages and start a one-node cluster on this
# machine (slurmctld and slurmd on localhost, no accounting database), to run the
# workflow through profiles/slurm for real. Needs root and Debian's apt.
#   sh profiles/slurm/localhost-cluster.sh
#   snakemake --executor slurm --workflow-profile profiles/slurm \
#     --slurm-no-account --slurm-status-command squeue
#   sh profiles/slurm/localhost-cluster.sh stop
#
# Everything the cluster needs lives in /run/slurm-localhost (gone at reboot): its
# configuration (linked from /etc/slurm/slurm.conf, where SLURM's commands look), a munge
# key and socket of its own (a munge service already on the machine is neither used nor
# touched), the controller's state, the node's spool, the logs, and the PID of each daemon
# this script started, recorded the moment it starts it (each runs in the foreground of a
# session of its own). `start` starts only those of its daemons that are not running and
# never adopts another process; `stop` (also run when a start fails part-way) stops exactly
# the processes it recorded (munged included) and what is left in their sessions, and
# removes the directory and the link: no configuration is left naming a
# controller that is not running (SLURM's client commands would wait for it; the SLURM
# executor plugin calls `scontrol` whenever Snakemake starts).
set -eu

dir=/run/slurm-localhost
conf=/etc/slurm/slurm.conf

# One start or stop at a time (the lock is on this script): a stop removing the directory while
# another start records its daemons in it would leave those running, unrecorded.
exec 9<"$0"
flock -w 900 9 || { echo "SLURM: another start or stop of this cluster has not ended in 15 minutes" >&2; exit 1; }

# Leave a machine's own SLURM configuration alone (this script's is a link into $dir).
if [ -e "$conf" ] && [ "$(readlink "$conf" || true)" != "$dir/slurm.conf" ]; then
    echo "$conf is not this script's; not touching this machine's SLURM" >&2
    exit 1
fi

# The state, session and start time of process $1 (fields 3, 6 and 22 of /proc/PID/stat; the
# name before them, in parentheses, is left out: it may hold spaces).
proc_stat() {
    sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1,4,20
}

# The PID this script recorded for daemon $1, if that very process still runs: the PID
# and its start time both match what was recorded at start, and it is not a zombie.
tracked() {
    [ -s "$dir/$1.started" ] || return 1
    read -r pid since < "$dir/$1.started"
    set -- $(proc_stat "$pid")
    [ -n "$since" ] && [ "${3:-}" = "$since" ] && [ "${1:-}" != Z ] && [ "${1:-}" != X ] && echo "$pid"
}

# Stop daemon $1 by the PID recorded at its start: TERM, then KILL after 10 s; then every
# process left in its session (each daemon leads its own: slurmctld's slurmscriptd, a job's
# processes, or what a daemon that ended at start left behind). Linux gives no new process a
# PID that a session still holds; a PID now naming another process leaves its session alone.
stop_daemon() {
    [ -s "$dir/$1.started" ] || return 0
    if tracked "$1" >/dev/null; then
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do
            tracked "$1" >/dev/null || break
            sleep 0.2
        done
        tracked "$1" >/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    read -r pid since < "$dir/$1.started"
    set -- $(proc_stat "$pid")
    [ -z "${3:-}" ] || [ "$3" = "$since" ] || return 0
    for left in $(cat /proc/[0-9]*/stat 2>/dev/null | sed 's/ .*) / /' | awk -v session="$pid" '$5 == session {print $1}'); do
        kill -KILL "$left" 2>/dev/null
    done
    return 0
}

# Stop what start recorded, whatever fails on the way (it also runs when start fails part-way).
stop() {
    set +e
    if tracked slurmctld >/dev/null; then
        scancel --partition=local 2>/dev/null  # jobs left running would keep their slurmstepd
        for _ in $(seq 50); do
            [ -z "$(squeue -h -p local 2>/dev/null)" ] && break
            sleep 0.2
        done
    fi
    for daemon in slurmd slurmctld munged; do
        stop_daemon "$daemon"
    done
    rm -f "$conf"
    rm -rf "$dir"
}

if [ "${1:-start}" = stop ]; then
    stop
    echo "SLURM: stopped"
    exit 0
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    echo "SLURM: installing Debian's slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    # The packages' scripts would start the system's munge and slurm services; this script starts
    # only its own daemons, so the installation starts none (Debian's policy-rc.d, removed after).
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        policy=/usr/sbin/policy-rc.d
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
    fi
    installed=0
    apt-get update -qq && apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null && installed=1
    [ -z "$policy" ] || rm -f "$policy"
    [ "$installed" = 1 ] || { echo "SLURM: installing slurm-wlm and munge failed" >&2; exit 1; }
fi

host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
# Job numbers start from the clock (under SLURM's largest), not from 1: a client still polling the
# jobs of an earlier cluster of this script finds none of them, not another run's jobs.
first_job=$(( $(date +%s) % 60000000 + 1 ))
mkdir -p "$dir/state" "$dir/spool" "$dir/log" /etc/slurm
chmod 755 "$dir"  # munged wants every directory above its socket searchable
# Written once a cluster: a second start leaves the configuration its running daemons read.
[ -s "$dir/slurm.conf" ] || cat > "$dir/slurm.conf" <<CONF
ClusterName=localhost
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
AuthInfo=socket=$dir/munge.socket
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ReturnToService=2
MinJobAge=600
FirstJobId=$first_job
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
ln -sfn "$dir/slurm.conf" "$conf"

# A failed or interrupted start stops what it started and leaves nothing behind.
trap 'tail -n 5 "$dir"/log/*.log >&2 2>/dev/null; stop; echo "SLURM did not come up" >&2' EXIT
trap 'exit 1' HUP INT TERM

# Start daemon $1 with the command that follows, in the foreground of a session of its own
# (setsid, in a child that leads no process group, runs it in place: $! is the daemon), and
# record its PID at once: stop ends it even if it never comes up. Nothing is started if the
# one this script started still runs.
start_daemon() {
    name=$1
    shift
    tracked "$name" >/dev/null && return 0
    setsid "$@" </dev/null >>"$dir/log/$name.out" 2>&1 9<&- &  # the daemon does not hold the lock
    pid=$!
    set -- $(proc_stat "$pid")
    echo "$pid ${3:-}" > "$dir/$name.started"
    [ -n "${3:-}" ] || { echo "SLURM: $name ended at once" >&2; return 1; }
}

if [ ! -s "$dir/munge.key" ]; then
    (umask 077 && dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null)
fi
start_daemon munged munged --foreground --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munged.seed"
start_daemon slurmctld slurmctld -D
start_daemon slurmd slurmd -D

# Wait for the node to come up (and bring it back if an earlier run left it down).
for _ in $(seq 120); do
    for daemon in munged slurmctld slurmd; do
        tracked "$daemon" >/dev/null || { echo "SLURM: $daemon ended" >&2; exit 1; }
    done
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
        idle*|mixed*|allocated*) trap - EXIT; echo "SLURM: node $host is $state"; exit 0 ;;
        down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
done
exit 1
