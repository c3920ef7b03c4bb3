#!/bin/sh
# Install SLURM and munge from Debian's packages and start a one-node cluster on this
# machine (slurmctld and slurmd on localhost, no accounting database), to run the
# workflow through profiles/slurm for real. Needs root and Debian's apt. Idempotent.
# The configuration is written to /run/slurm-localhost (gone at reboot) and linked from
# /etc/slurm/slurm.conf; `stop` stops the daemons and removes both. No configuration is
# left naming a controller that is not running: SLURM's client commands would wait for
# it (the SLURM executor plugin calls `scontrol` whenever Snakemake starts).
#   sh profiles/slurm/localhost-cluster.sh
#   snakemake --executor slurm --workflow-profile profiles/slurm \
#     --slurm-no-account --slurm-status-command squeue
#   sh profiles/slurm/localhost-cluster.sh stop
set -eu

dir=/run/slurm-localhost
conf=/etc/slurm/slurm.conf

# Leave a machine's own SLURM configuration alone (this script's cluster is named localhost).
if [ -f "$conf" ] && ! grep -qx 'ClusterName=localhost' "$conf"; then
    echo "$conf configures another cluster; not touching this machine's SLURM" >&2
    exit 1
fi

if [ "${1:-start}" = stop ]; then
    pkill -x slurmd || true
    pkill -x slurmctld || true
    rm -rf "$dir" "$conf"
    echo "SLURM: stopped"
    exit 0
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

host=$(hostname -s)
cpus=$(nproc)
memory=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
mkdir -p "$dir" /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm /run/munge
cat > "$dir/slurm.conf" <<CONF
ClusterName=localhost
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
ln -sfn "$dir/slurm.conf" "$conf"

if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
fi
chown -R munge:munge /etc/munge /run/munge /var/lib/munge /var/log/munge 2>/dev/null || true
chmod 400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- munged
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd

# Wait for the node to come up (and bring it back if an earlier run left it down).
for _ in $(seq 60); do
    state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
    case "$state" in
        idle*|mixed*|allocated*) echo "SLURM: node $host is $state"; exit 0 ;;
        down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
    esac
    sleep 1
done
echo "SLURM did not come up; see /var/log/slurm/" >&2
exit 1
