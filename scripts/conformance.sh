#!/usr/bin/env bash
# Runs the Kubernetes node conformance specs against the cluster of the current kubeconfig, whose pods the cluster
# places on an Outpost edge node, with Outpost's skip list (scripts/conformance-skip.txt). docs/conformance.md says
# how to prepare the cluster, what each spec is expected to do and why; this script checks what it can of that
# preparation first and stops with a clear error when something is missing.
#
# It cannot run in the project's CI: there is no real control plane there (kube-apiserver, scheduler,
# controller-manager); run it by hand against a release candidate.
#
# Usage: scripts/conformance.sh [options] [-- extra arguments for e2e.test]
#   --runner e2e|hydrophone  e2e: the e2e.test binary of the control plane's release, run from this machine
#                            (default when one is found); hydrophone: the release's conformance image in a pod
#   --e2e-test PATH          the e2e.test binary (default: $E2E_TEST, else e2e.test on the PATH)
#   --scope common-node|sig-node
#                            common-node (default): the [Conformance] specs of test/e2e/common/node, the issue-21
#                            yardstick; sig-node: every [sig-node] [Conformance] spec (adds 7 from test/e2e/node)
#   --focus REGEXP           run only the specs whose text matches (default: '\[sig-node\].*\[Conformance\]'),
#                            e.g. '\[sig-node\] Probing container.*\[Conformance\]' to repeat one group
#   --skip-file FILE         the skip list (default: scripts/conformance-skip.txt beside this script)
#   --results DIR            where results go (default: conformance-results/<UTC time>); the JUnit report is
#                            DIR/junit_01.xml, the suite's log DIR/e2e.log
#   --edge-label KEY=VALUE   the label of edge Nodes (default: outpost.io/edge=true, the bridge's OUTPOST_EDGE_LABEL)
#   --taint-cloud-nodes      put outpost.io/conformance=edge-only:NoSchedule on every schedulable, untainted
#                            non-edge Node for the run and take it off afterwards, so the suite's pods can only land
#                            on edge nodes (without it the script refuses to run while such Nodes exist)
#   --conformance-image IMG  hydrophone only (default: registry.k8s.io/conformance:<the API server's version>)
#   --timeout DURATION       the suite's overall timeout (default: 3h)
#   --dry-run                check the cluster, then list the specs that would run (Ginkgo's dry run), run none
#   -h, --help               this text
#
# Environment: KUBECONFIG (the cluster), E2E_TEST (the binary), KUBE_TEST_REPO_LIST (a YAML file mapping the test
# images' registries to a mirror, for sites without access to registry.k8s.io; read by e2e.test itself).
# Exit status: the suite's (0 only if every selected spec passed), 2 for a failed prerequisite.
set -euo pipefail

readonly EDGE_TAINT_KEY="node.outpost.io/edge"
readonly CONFORMANCE_TAINT_KEY="outpost.io/conformance"
readonly CONFORMANCE_TAINT="${CONFORMANCE_TAINT_KEY}=edge-only:NoSchedule"
readonly COMMON_NODE_FILES='test/e2e/common/node/'

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runner=""
e2e_test="${E2E_TEST:-}"
scope="common-node"
focus='\[sig-node\].*\[Conformance\]'
skip_file="${script_dir}/conformance-skip.txt"
results=""
edge_label="outpost.io/edge=true"
taint_cloud_nodes=false
conformance_image=""
timeout="3h"
dry_run=false
extra_args=()
tainted_nodes=()

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'
}

die() {
  echo "conformance.sh: $*" >&2
  exit 2
}

note() {
  echo "conformance.sh: $*" >&2
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --runner) runner="${2:?--runner needs e2e or hydrophone}"; shift 2 ;;
    --e2e-test) e2e_test="${2:?--e2e-test needs a path}"; shift 2 ;;
    --scope) scope="${2:?--scope needs common-node or sig-node}"; shift 2 ;;
    --focus) focus="${2:?--focus needs a regular expression}"; shift 2 ;;
    --skip-file) skip_file="${2:?--skip-file needs a file}"; shift 2 ;;
    --results) results="${2:?--results needs a directory}"; shift 2 ;;
    --edge-label) edge_label="${2:?--edge-label needs KEY=VALUE}"; shift 2 ;;
    --taint-cloud-nodes) taint_cloud_nodes=true; shift ;;
    --conformance-image) conformance_image="${2:?--conformance-image needs an image}"; shift 2 ;;
    --timeout) timeout="${2:?--timeout needs a duration such as 3h}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra_args=("$@"); break ;;
    *) die "unknown option '$1' (--help lists them)" ;;
  esac
done

case "$scope" in
  common-node|sig-node) ;;
  *) die "--scope must be common-node or sig-node, not '$scope'" ;;
esac
[[ "$edge_label" == *=* ]] || die "--edge-label must be KEY=VALUE, not '$edge_label'"

# --- The skip list: one regular expression per line, '#' and the reason after it. ---
skip_regexp() {
  local line expr joined=""
  [[ -r "$1" ]] || die "cannot read the skip list $1"
  while IFS= read -r line || [[ -n "$line" ]]; do
    expr="${line%%#*}"
    expr="${expr#"${expr%%[![:space:]]*}"}"
    expr="${expr%"${expr##*[![:space:]]}"}"
    [[ -z "$expr" ]] && continue
    joined="${joined:+${joined}|}(${expr})"
  done < "$1"
  printf '%s' "$joined"
}
skip="$(skip_regexp "$skip_file")"

# --- Prerequisites. ---
command -v kubectl >/dev/null 2>&1 || die "kubectl is not on the PATH"

if [[ -z "$runner" ]]; then
  if [[ -n "$e2e_test" ]] || command -v e2e.test >/dev/null 2>&1; then
    runner=e2e
  elif command -v hydrophone >/dev/null 2>&1; then
    runner=hydrophone
  else
    die "neither e2e.test nor hydrophone found: unpack kubernetes-test-linux-amd64.tar.gz of the control plane's \
release and pass --e2e-test kubernetes/test/bin/e2e.test (or set E2E_TEST), or install hydrophone \
(docs/conformance.md, 'Running it')"
  fi
fi
case "$runner" in
  e2e)
    [[ -n "$e2e_test" ]] || e2e_test="$(command -v e2e.test || true)"
    [[ -n "$e2e_test" && -x "$e2e_test" ]] || die "e2e.test not found or not executable ('${e2e_test}'): pass --e2e-test PATH"
    ;;
  hydrophone)
    command -v hydrophone >/dev/null 2>&1 || die "hydrophone is not on the PATH"
    ;;
  *) die "--runner must be e2e or hydrophone, not '$runner'" ;;
esac

kubeconfig="${KUBECONFIG:-${HOME}/.kube/config}"
kubeconfig="${kubeconfig%%:*}"
[[ -r "$kubeconfig" ]] || die "no readable kubeconfig at '$kubeconfig' (set KUBECONFIG)"
context="$(kubectl config current-context 2>/dev/null)" || die "the kubeconfig $kubeconfig has no current context"
kubectl get --raw /readyz >/dev/null 2>&1 \
  || die "the API server of context '$context' is not reachable or not ready (kubectl get --raw /readyz failed)"
server_version="$(kubectl version -o json 2>/dev/null | sed -n 's/.*"gitVersion": *"\(v[^"]*\)".*/\1/p' | tail -n 1)"
[[ -n "$server_version" ]] || die "could not read the API server's version (kubectl version -o json)"
note "cluster: context '$context', API server $server_version"

# Nodes, one per line: name|labels|unschedulable|taints (key:effect,...)|Ready status. "|" and not a tab: read
# would merge the empty fields that whitespace separators leave.
nodes="$(kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.metadata.labels}{"|"}{.spec.unschedulable}{"|"}{range .spec.taints[*]}{.key}:{.effect},{end}{"|"}{range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}{end}')" \
  || die "cannot list Nodes"
edge_key="${edge_label%%=*}"
edge_value="${edge_label#*=}"
edge_match="\"${edge_key}\":\"${edge_value}\""
edge_ready=()
edge_not_ready=()
edge_tainted=0
cloud_open=()
while IFS='|' read -r name labels unschedulable taints ready; do
  [[ -z "$name" ]] && continue
  if [[ "$labels" == *"$edge_match"* ]]; then
    if [[ "$ready" == "True" ]]; then edge_ready+=("$name"); else edge_not_ready+=("$name"); fi
    if [[ "$taints" == *"${EDGE_TAINT_KEY}:NoSchedule"* ]]; then
      edge_tainted=$((edge_tainted + 1))
    fi
  elif [[ "$unschedulable" != "true" && "$ready" == "True" && "$taints" != *":NoSchedule"* && "$taints" != *":NoExecute"* ]]; then
    cloud_open+=("$name")
  fi
done <<< "$nodes"
if [[ ${#edge_ready[@]} -eq 0 ]]; then
  die "no Ready Outpost edge node (label ${edge_label}): join one and wait for Ready (kubectl get nodes -l ${edge_label})\
${edge_not_ready[*]:+; not Ready: ${edge_not_ready[*]}}"
fi
note "edge nodes Ready: ${edge_ready[*]}${edge_not_ready[*]:+ (not Ready: ${edge_not_ready[*]})}"
if [[ ${#edge_ready[@]} -gt 1 ]]; then
  note "more than one edge node is Ready: the suite's pods spread over them; specs that need two pods to reach each \
other assume they share a pod network (docs/conformance.md recommends one edge node, or the nodes of one site)"
fi
if [[ ${#cloud_open[@]} -gt 0 && "$taint_cloud_nodes" != true ]]; then
  die "these Nodes are schedulable and untainted, so the suite's pods would run there instead of on the edge node: \
${cloud_open[*]}. Taint them for the run (--taint-cloud-nodes does it and undoes it) or run on a cluster whose only \
schedulable node is the edge node (docs/conformance.md, 'How the suite's pods reach the edge node')"
fi

# With the edge taint on, the suite's pods must tolerate it (PodTolerationRestriction's cluster default), and the
# four lifecycle-hook specs cannot find the node; a bridge with OUTPOST_EDGE_TAINT=false needs neither (docs/conformance.md).
if [[ $edge_tainted -eq 0 ]]; then
  note "edge nodes carry no ${EDGE_TAINT_KEY} taint (bridge with OUTPOST_EDGE_TAINT=false): no toleration needed"
else
note "edge nodes carry ${EDGE_TAINT_KEY}:NoSchedule: the 4 Container Lifecycle Hook specs will fail to find a node; \
run the bridge with OUTPOST_EDGE_TAINT=false for the run and remove the taint (docs/conformance.md)"
probe_errors="$(mktemp)"
probe_tolerations="$(kubectl create --dry-run=server -o jsonpath='{.spec.tolerations}' -f - 2>"$probe_errors" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  generateName: outpost-conformance-probe-
  namespace: default
spec:
  containers:
  - name: probe
    image: registry.k8s.io/pause:3.10
EOF
)" || die "a server-side dry run of a pod in 'default' failed: $(cat "$probe_errors")"
rm -f "$probe_errors"
[[ "$probe_tolerations" == *"$EDGE_TAINT_KEY"* ]] \
  || die "a new pod does not get a toleration of ${EDGE_TAINT_KEY}: enable the PodTolerationRestriction admission \
plugin with that toleration as the cluster default (docs/conformance.md, 'Preparing the cluster'), or run the \
bridge with OUTPOST_EDGE_TAINT=false and remove the taint; tolerations given now: ${probe_tolerations:-none}"
fi

# kube-system pods that landed on an edge node keep the framework from starting (it waits for them to be Ready).
system_on_edge="$(kubectl get pods -n kube-system -o jsonpath='{range .items[*]}{.spec.nodeName}{"|"}{.metadata.name}{"|"}{.status.phase}{"\n"}{end}' 2>/dev/null || true)"
while IFS='|' read -r node pod phase; do
  for edge in "${edge_ready[@]}"; do
    if [[ "$node" == "$edge" && "$phase" != "Running" && "$phase" != "Succeeded" ]]; then
      die "kube-system pod $pod is $phase on edge node $edge; the suite waits for kube-system to be Ready: give its \
DaemonSet the node affinity outpost.io/edge NotIn [\"true\"] (docs/operations.md, 'Placing workloads on edge nodes')"
    fi
  done
done <<< "$system_on_edge"

# --- Results directory and the run's record. ---
[[ -n "$results" ]] || results="conformance-results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$results" || die "cannot create the results directory $results"
results="$(cd "$results" && pwd)"
kubectl get nodes -o wide > "$results/nodes.txt" 2>&1 || true
printf '%s\n' "$skip" > "$results/skip-regexp.txt"
cp "$skip_file" "$results/conformance-skip.txt"

non_blocking="node-role.kubernetes.io/control-plane,${EDGE_TAINT_KEY}"
if [[ "$taint_cloud_nodes" == true ]]; then
  non_blocking="${non_blocking},${CONFORMANCE_TAINT_KEY}"
fi

# shellcheck disable=SC2317  # called by the EXIT trap
untaint_cloud_nodes() {
  local node
  for node in "${tainted_nodes[@]}"; do
    if kubectl taint node "$node" "${CONFORMANCE_TAINT_KEY}-" >/dev/null 2>&1; then
      note "took ${CONFORMANCE_TAINT_KEY} off $node"
    else
      note "could not take ${CONFORMANCE_TAINT_KEY} off $node; do it by hand: kubectl taint node $node ${CONFORMANCE_TAINT_KEY}-"
    fi
  done
}

if [[ "$taint_cloud_nodes" == true && "$dry_run" != true && ${#cloud_open[@]} -gt 0 ]]; then
  trap untaint_cloud_nodes EXIT
  for node in "${cloud_open[@]}"; do
    kubectl taint node "$node" "$CONFORMANCE_TAINT" >/dev/null || die "could not taint $node"
    tainted_nodes+=("$node")
    echo "$node" >> "$results/tainted-nodes.txt"
    note "tainted $node with $CONFORMANCE_TAINT for the run"
  done
fi

# --- The run. ---
status=0
if [[ "$runner" == e2e ]]; then
  "$e2e_test" --list-images > "$results/images.txt" 2>&1 || note "e2e.test --list-images failed (see $results/images.txt)"
  e2e_minor="$("$e2e_test" --version 2>/dev/null | sed -n 's/.*v\([0-9]*\.[0-9]*\)\..*/\1/p' | tail -n 1 || true)"
  server_minor="$(sed -n 's/^v\([0-9]*\.[0-9]*\)\..*/\1/p' <<< "$server_version")"
  if [[ -n "$e2e_minor" && "$e2e_minor" != "$server_minor" ]]; then
    note "e2e.test is v$e2e_minor, the API server $server_version: use the test binary of the server's release"
  fi
  args=(
    "--kubeconfig=$kubeconfig"
    "--provider=skeleton"
    "--non-blocking-taints=$non_blocking"
    "--report-dir=$results"
    "--ginkgo.focus=$focus"
    "--ginkgo.timeout=$timeout"
    "--ginkgo.no-color"
    "--ginkgo.v"
  )
  [[ -n "$skip" ]] && args+=("--ginkgo.skip=$skip")
  [[ "$scope" == common-node ]] && args+=("--ginkgo.focus-file=$COMMON_NODE_FILES")
  [[ "$dry_run" == true ]] && args+=("--ginkgo.dry-run")
  args+=("${extra_args[@]}")
  printf '%q ' "$e2e_test" "${args[@]}" > "$results/command.txt"
  echo >> "$results/command.txt"
  note "running: $(cat "$results/command.txt")"
  "$e2e_test" "${args[@]}" 2>&1 | tee "$results/e2e.log" || status=$?
else
  [[ -n "$conformance_image" ]] || conformance_image="registry.k8s.io/conformance:${server_version%%+*}"
  note "hydrophone's test pod tolerates every taint and may itself be placed on the edge node; docs/conformance.md \
prefers the e2e runner"
  args=(
    "--focus=$focus"
    "--conformance-image=$conformance_image"
    "--output-dir=$results"
    "--extra-args=\"--non-blocking-taints=$non_blocking\""
  )
  [[ -n "$skip" ]] && args+=("--skip=$skip")
  [[ "$scope" == common-node ]] && args+=("--extra-ginkgo-args=--focus-file=$COMMON_NODE_FILES")
  [[ "$dry_run" == true ]] && args+=("--dry-run")
  args+=("${extra_args[@]}")
  printf '%q ' hydrophone "${args[@]}" > "$results/command.txt"
  echo >> "$results/command.txt"
  note "running: $(cat "$results/command.txt")"
  hydrophone "${args[@]}" 2>&1 | tee "$results/hydrophone.log" || status=$?
fi

# --- Summary from the JUnit report. ---
junit="$(find "$results" -maxdepth 1 -name 'junit*.xml' -print -quit)"
if [[ -n "$junit" ]]; then
  suite="$(grep -o '<testsuite [^>]*>' "$junit" | head -n 1 || true)"
  attribute() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<< "$suite"; }
  note "JUnit report $junit: tests $(attribute tests), failures $(attribute failures), errors $(attribute errors), \
skipped $(attribute skipped) (Ginkgo counts every spec of the suite; the skipped ones were not selected)"
else
  note "no JUnit report in $results (the run did not get to write one; see the log there)"
fi
note "results in $results; compare with the table in docs/conformance.md"
exit "$status"
