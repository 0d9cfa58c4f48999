#!/usr/bin/env bash
# deploy.sh - deploy/kubernetes/daemonset.yaml parses as YAML and says what
# the recorder needs: the host's pids, its capabilities and no more, the
# host paths it reads (read-only) and writes, a memory limit, probes through
# `flightrec status`, and a config file whose every key is a record option.
. "$TESTS_SRCDIR/e2e/lib.sh"

y=$TESTS_SRCDIR/../deploy/kubernetes/daemonset.yaml
python3 -c 'import yaml' 2>/dev/null || skip_all "needs python3-yaml (scripts/install-deps installs it)"

# One line per fact, from the parsed documents.
facts=$(python3 - "$y" <<'PY'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
print("kinds", " ".join(d["kind"] for d in docs))
ds = next(d for d in docs if d["kind"] == "DaemonSet")
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
sc = c["securityContext"]
print("hostPID", spec.get("hostPID"), "hostNetwork", spec.get("hostNetwork"))
print("caps drop", " ".join(sc["capabilities"]["drop"]), "add", " ".join(sorted(sc["capabilities"]["add"])))
print("privileged", sc.get("privileged", False))
vols = {v["name"]: v for v in spec["volumes"]}
for m in c["volumeMounts"]:
    v = vols[m["name"]]
    src = v["hostPath"]["path"] if "hostPath" in v else next(k for k in v if k != "name")
    print("mount", m["mountPath"], "from", src, "ro" if m.get("readOnly") else "rw")
print("limits", " ".join(f"{k}={v}" for k, v in sorted(c["resources"]["limits"].items())))
for p in ("readinessProbe", "livenessProbe"):
    print(p, " ".join(c[p]["exec"]["command"]))
print("command", " ".join(c["command"]))
cm = next(d for d in docs if d["kind"] == "ConfigMap")
for line in cm["data"]["flightrec.conf"].splitlines():
    if line.strip() and not line.lstrip().startswith("#"):
        print("key", line.split("=")[0].strip())
PY
)
st=$?
is "$st" 0 "daemonset.yaml - parses as YAML"
has() { printf '%s\n' "$facts" | grep -qxF -- "$1"; }
is "$(printf '%s\n' "$facts" | grep ^kinds)" "kinds Namespace ConfigMap DaemonSet" "daemonset.yaml - a namespace, the config and the DaemonSet"
has "hostPID True hostNetwork True"; ok $? "DaemonSet - host pids, and the node's name as host"
has "caps drop ALL add BPF DAC_READ_SEARCH PERFMON SETPCAP SYS_ADMIN SYS_PTRACE SYS_RESOURCE"
ok $? "DaemonSet - drops all capabilities, adds only those of loading, attaching and reading /proc"
has "privileged False"; ok $? "DaemonSet - not privileged"
has "mount /var/lib/flightrec from /var/lib/flightrec rw"; ok $? "DaemonSet - the data directory from the host"
has "mount /sys/fs/cgroup from /sys/fs/cgroup ro"; ok $? "DaemonSet - the host's cgroup hierarchy, read-only"
has "mount /var/log/pods from /var/log/pods ro"; ok $? "DaemonSet - the CRI pod log directories, read-only"
has "mount /sys/kernel/btf from /sys/kernel/btf ro"; ok $? "DaemonSet - BTF, read-only"
! printf '%s\n' "$facts" | grep -q "/sys/kernel/debug"; ok $? "DaemonSet - no /sys/kernel/debug"
has "limits memory=128Mi"; ok $? "DaemonSet - a memory limit of 128Mi and no CPU limit"
has "readinessProbe flightrec status --dir /var/lib/flightrec"; ok $? "DaemonSet - readiness through flightrec status"
has "livenessProbe flightrec status --dir /var/lib/flightrec"; ok $? "DaemonSet - liveness through flightrec status"
has "command flightrec record --dir /var/lib/flightrec --config /etc/flightrec/flightrec.conf"
ok $? "DaemonSet - records with the ConfigMap's file"
help=$("$FLIGHTREC" record --help)
bad=
for k in $(printf '%s\n' "$facts" | sed -n 's/^key //p'); do
	printf '%s\n' "$help" | grep -q -- "--$k " || bad="$bad $k"
done
is "$bad" "" "ConfigMap - every key is an option of flightrec record"
python3 -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d["kind"] == "ConfigMap": sys.stdout.write(d["data"]["flightrec.conf"])' "$y" > "$TEST_TMP/flightrec.conf"
# --help after the file: the file is parsed (values checked), nothing recorded
out=$("$FLIGHTREC" record --config "$TEST_TMP/flightrec.conf" --help 2>&1 >/dev/null); st=$?
is "$st:$out" "0:" "ConfigMap - flightrec record accepts the file's values"
done_testing
