#!/usr/bin/env bash
# containers.sh - processes run in cgroups named as docker and as containerd
# under Kubernetes (systemd driver) name them: the replay `processes` table
# holds their container id and, with a fake CRI log tree (--cri-root), the
# pod's uid, name and namespace; a process alive at the start comes with its
# container from the process table; a process outside is NULL everywhere.
. "$TESTS_SRCDIR/e2e/lib.sh"
need_bpf

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
[ -n "$cg2" ] || skip_all "needs a cgroup2 hierarchy (BPF reports cgroup v2 ids)"

ID1=$(printf 'd0c0%060d' $$)
ID2=$(printf 'c0de%060d' $((RANDOM + 1)))
UID_=0c7d0f5e-1111-2222-3333-$(printf '%012d' $$)
docker_cg=$cg2/system.slice/docker-$ID1.scope
k8s_top=$cg2/kubepods.slice
k8s_cg=$k8s_top/kubepods-burstable.slice/kubepods-burstable-pod${UID_//-/_}.slice/cri-containerd-$ID2.scope
made=()
# mkdir -p, remembering what we created, to remove exactly that
mk() {
	local d=$1 todo=()
	while [ ! -d "$d" ]; do todo=("$d" "${todo[@]}"); d=$(dirname "$d"); done
	for d in "${todo[@]}"; do mkdir "$d" || return 1; made=("$d" "${made[@]}"); done
}
sleeper=
cleanup_cgroups() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
	for d in "${made[@]}"; do
		for _ in $(seq 1 50); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
	done
}
trap 'cleanup_cgroups; cleanup' EXIT
mk "$docker_cg" && mk "$k8s_cg" || skip_all "cannot create cgroups under $cg2"

pods=$TEST_TMP/pods
mkdir -p "$pods/team-a_api-7d9f8b6c5-x2x4q_$UID_/api" "$pods/kube-system_coredns-1_11111111-2222-3333-4444-555555555555"

# Alive before the recorder starts: known from /proc only.
bash -c 'echo $$ > "$1/cgroup.procs" && exec sleep 120' sh "$docker_cg" &
sleeper=$!

dir=$TEST_TMP/rec
if ! start_recorder "$dir" --cri-root "$pods"; then
	fail "record --cri-root starts"; done_testing; exit
fi
pass "record --cri-root $pods starts"

# Any rescan of the hierarchy before the cgroups existed is over a second old.
sleep 1.2
m=frcont$$x$RANDOM
in_cgroup() { local cg=$1; shift; bash -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }
in_cgroup "$docker_cg" "$EXIT_WITH" 3 "$m" docker
in_cgroup "$k8s_cg" "$EXIT_WITH" 4 "$m" k8s
# a forked child that never execs is where its parent is (the marker comes
# first: argv is kept to 256 bytes, and EXIT_WITH's path may be long)
in_cgroup "$k8s_cg" bash -c ": $m-parent; (exit 5); \"$EXIT_WITH\" 6 $m k8s-child"
"$EXIT_WITH" 7 "$m" host

archive=$("$FLIGHTREC" snapshot --dir "$dir" --before 30s --after 1s --reason containers 2>&1)
[ -f "$archive" ]; ok $? "snapshot - written ($archive)"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT argv, exit_code, container, pod_uid, pod, namespace
	FROM processes WHERE argv LIKE '$EXIT_WITH % $m %' ORDER BY exit_code")
is "$got" "argv,exit_code,container,pod_uid,pod,namespace
$EXIT_WITH 3 $m docker,3,$ID1,,,
$EXIT_WITH 4 $m k8s,4,$ID2,$UID_,api-7d9f8b6c5-x2x4q,team-a
$EXIT_WITH 6 $m k8s-child,6,$ID2,$UID_,api-7d9f8b6c5-x2x4q,team-a
$EXIT_WITH 7 $m host,7,,,," "processes - container ids from the cgroup path, pod from --cri-root, NULL outside"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT count(*) FROM processes
	WHERE ppid IN (SELECT pid FROM proc_exec WHERE argv LIKE 'bash -c : $m-parent;%')
	  AND exit_code = 5 AND container = '$ID2' AND pod = 'api-7d9f8b6c5-x2x4q'" | tail -1)
is "$got" 1 "processes - a forked child that never execs has its parent's container and pod"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT comm, container, pod_uid FROM processes WHERE pid = $sleeper")
is "$got" "comm,container,pod_uid
sleep,$ID1," "processes - a process alive at the window's start, from the process table, with its container"

got=$("$FLIGHTREC_REPLAY" "$archive" --csv -c "SELECT cgroup FROM proc_exec WHERE argv LIKE '$EXIT_WITH 4 $m %'")
is "$got" "cgroup
${k8s_cg#$cg2}" "proc_exec - the cgroup path as BPF's cgroup id resolves"

got=$("$FLIGHTREC" dump "$archive" | grep -c "exec .*pod=\"api-7d9f8b6c5-x2x4q\" namespace=\"team-a\"")
is "$got" 3 "dump - the pod and namespace fields of exec records (bash, exit-with, bash -c)"

stop_recorder; ok $? "record - SIGTERM, expect exit 0"
done_testing
