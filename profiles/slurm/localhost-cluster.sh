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
# this script started. `start` starts only those of its daemons that are not running and
# never adopts another process; `stop` stops exactly the processes it recorded (munged
# included) and removes the directory and the link: no configuration is left naming a
# controller that is not running (SLURM's client commands would wait for it; the SLURM
# executor plugin calls `scontrol` whenever Snakemake starts).
set -eu

dir=/run/slurm-localhost
conf=/etc/slurm/slurm.conf

# Leave a machine's own SLURM configuration alone (this script's is a link into $dir).
if [ -e "$conf" ] && [ "$(readlink "$conf" || true)" != "$dir/slurm.conf" ]; then
    echo "$conf is not this script's; not touching this machine's SLURM" >&2
    exit 1
fi

# The PID this script recorded for daemon $1, if that very process still runs: the PID
# and its start time (field 22 of /proc/PID/stat) both match what was recorded at start.
tracked() {
    [ -s "$dir/$1.started" ] || return 1
    read -r pid since < "$dir/$1.started"
    [ "$(cut -d' ' -f22 "/proc/$pid/stat" 2>/dev/null)" = "$since" ] && echo "$pid"
}

# Record the process daemon $1 wrote to its PID file (waiting for the file up to 30 s: a loaded machine is slow).
record() {
    for _ in $(seq 150); do
        if [ -s "$dir/$1.pid" ]; then
            pid=$(cat "$dir/$1.pid")
            echo "$pid $(cut -d' ' -f22 "/proc/$pid/stat")" > "$dir/$1.started"
            return 0
        fi
        sleep 0.2
    done
    echo "SLURM: $1 did not start" >&2
    return 1
}

stop_daemon() {
    pid=$(tracked "$1") || return 0
    kill "$pid"
    for _ in $(seq 50); do
        tracked "$1" >/dev/null || return 0
        sleep 0.2
    done
    kill -KILL "$pid"
}

stop() {
    if tracked slurmctld >/dev/null; then
        scancel --partition=local 2>/dev/null || true  # jobs left running would keep their slurmstepd
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
mkdir -p "$dir/state" "$dir/spool" "$dir/log" /etc/slurm
chmod 755 "$dir"  # munged wants every directory above its socket searchable
cat > "$dir/slurm.conf" <<CONF
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
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
ln -sfn "$dir/slurm.conf" "$conf"

# A failed start stops what it started and leaves nothing behind.
trap 'tail -n 5 "$dir"/log/*.log >&2 2>/dev/null || true; stop; echo "SLURM did not come up" >&2' EXIT

# Start daemon $1 with the command that follows, unless the one this script started still runs.
start_daemon() {
    name=$1
    shift
    tracked "$name" >/dev/null && return 0
    rm -f "$dir/$name.pid"  # a stale PID file would name another process
    "$@"
    record "$name"
}

if [ ! -s "$dir/munge.key" ]; then
    (umask 077 && dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null)
fi
start_daemon munged munged --socket="$dir/munge.socket" --key-file="$dir/munge.key" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munged.seed"
start_daemon slurmctld slurmctld
start_daemon slurmd slurmd

# Wait for the node to come up (and bring it back if an earlier run left it down).
for _ in $(seq 60); do
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
