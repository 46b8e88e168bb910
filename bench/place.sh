#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench/place.sh [HOSTS [GROUPS]]: times mecdns-place on a random problem
# (defaults 1,000 hosts x 10,000 client groups, the issue's size): hosts and
# groups on a unit square, each group measured to its 50 nearest hosts, RTT
# 2 ms + 300 ms x distance + up to 3 ms of noise, costs 1..5, budget 100.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
hosts=${1:-1000}
groups=${2:-10000}
work=$(mktemp -d /tmp/mecdns-place-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
"$py" - "$work" "$hosts" "$groups" <<'PY'
import math, random, sys
work, H, G = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(1)
hosts = [(random.random(), random.random()) for _ in range(H)]
with open(work + "/hosts.csv", "w") as f:
    f.write("host,cost\n")
    for i in range(H):
        f.write("h%d,%d\n" % (i, random.randint(1, 5)))
with open(work + "/groups.csv", "w") as f:
    f.write("group,queries\n")
    for g in range(G):
        f.write("g%d,%d\n" % (g, random.randint(1, 1000)))
with open(work + "/rtt.csv", "w") as f:
    f.write("group,host,rtt_ms\n")
    for g in range(G):
        x, y = random.random(), random.random()
        near = sorted((math.hypot(x - hx, y - hy), i) for i, (hx, hy) in enumerate(hosts))[:50]
        for d, i in near:
            f.write("g%d,h%d,%.2f\n" % (g, i, 2 + d * 300 + random.random() * 3))
PY
start=$(date +%s%N)
"$top/tools/mecdns-place" --hosts "$work/hosts.csv" --groups "$work/groups.csv" \
	--rtt "$work/rtt.csv" --budget 100 --fallback-ms 150 | sed -n '2,4p'
end=$(date +%s%N)
echo "mecdns-place: $hosts hosts x $groups groups in $(( (end - start) / 1000000 )) ms (whole run)"
