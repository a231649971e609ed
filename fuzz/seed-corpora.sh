#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ (gitignored) from the hand-picked seeds in fuzz/seeds/ and from the
# repository's own inputs: workloads/ (scenarios, manifests, scheduler configurations, node
# types, openb CSV heads), tests/ fixtures (the conformance oracle's `capsim schedule` inputs,
# the quantity table) and, when present, ../shared/oracle* or /work/shared/oracle*. Each seed is
# named by the hash of its content, so running the script again adds nothing twice. Big trace
# CSVs are cut to their first 50 lines. See docs/fuzzing.md.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
corpus="$fuzz/corpus"

# add TARGET FILE...: copies each readable regular file into corpus/TARGET/<sha1>.
add() {
    local target="$1"
    shift
    mkdir -p "$corpus/$target"
    local f
    for f in "$@"; do
        [ -f "$f" ] || continue
        cp "$f" "$corpus/$target/$(sha1sum "$f" | cut -c1-40)"
    done
}

# add_text TARGET TEXT: one seed from a string.
add_text() {
    local tmp
    tmp="$(mktemp)"
    printf '%s' "$2" >"$tmp"
    add "$1" "$tmp"
    rm -f "$tmp"
}

# add_head TARGET FILE...: the first 50 lines of each file.
add_head() {
    local target="$1"
    shift
    local f tmp
    tmp="$(mktemp)"
    for f in "$@"; do
        [ -f "$f" ] || continue
        head -n 50 "$f" >"$tmp"
        add "$target" "$tmp"
    done
    rm -f "$tmp"
}

# Hand-picked seeds.
for d in "$fuzz"/seeds/*/; do
    t="$(basename "$d")"
    add "$t" "$d"*
done

shopt -s nullglob globstar

# Scenarios (they name files under workloads/, which the scenario target mirrors, CSVs cut).
add scenario "$root"/workloads/*.yaml

# Manifests: every YAML under workloads/ but the scenarios (manifests, apps, nodes, plans), and
# the oracle inputs, which are multi-document Kubernetes files too.
manifests=("$root"/workloads/manifests/**/*.yaml "$root"/workloads/manifests/**/*.yml
    "$root"/workloads/manifests/**/*.json "$root"/workloads/apps/*.yaml "$root"/workloads/nodes/*.yaml
    "$root"/workloads/plan/apps.yaml)
small=()
for f in "${manifests[@]}"; do
    # The largest upstream manifests (calico's 700 KB) only slow the fuzzer down.
    [ "$(stat -c %s "$f")" -le 65536 ] && small+=("$f")
done
add k8s_objects "${small[@]}"

oracles=("$root"/tests/conformance/oracle*/*/scenario.yaml)
for s in "$root"/../shared "/work/shared"; do
    oracles+=("$s"/oracle*/*/scenario.yaml)
done
add schedule_input "${oracles[@]}"
add k8s_objects "${oracles[@]}"

add scheduler_config "$root"/workloads/scheduler-configs/**/*.yaml
add node_types "$root"/workloads/plan/*node-types*.yaml

add_head openb_csv "$root"/workloads/traces/alibaba-openb/*.csv

# Every quantity string of the upstream table, valid and invalid.
quantities="$root/tests/conformance/golden/quantity.json"
if [ -f "$quantities" ] && command -v python3 >/dev/null; then
    python3 - "$quantities" <<'EOF' | while IFS= read -r -d '' q; do add_text quantity "$q"; done
import json, sys
d = json.load(open(sys.argv[1]))
seen = {x for x in d.get("invalid_inputs", []) if isinstance(x, str)}
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            if k in ("input", "canonical", "exact") and isinstance(x, str):
                seen.add(x)
            else:
                walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
walk(d)
sys.stdout.write("".join(s + "\0" for s in sorted(seen)))
EOF
fi

for t in "$corpus"/*/; do
    printf '%-22s %5d seeds\n' "$(basename "$t")" "$(find "$t" -type f | wc -l)"
done
