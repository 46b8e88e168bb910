# SPDX-License-Identifier: GPL-3.0-or-later
"""The picture of the Grafana dashboard from a real run (scripts/dashboard-picture.sh).

  load    --http H:P --dns H:P --seconds N   rule writes and DNS queries
  render  --prometheus H:P --dashboard FILE --start T --end T --instance I
          --out PNG --work DIR               each panel's PromQL, drawn by gnuplot

Standard library only; gnuplot draws. Every panel of the dashboard is drawn
at its gridPos with its title, its queries evaluated by Prometheus: stat
panels show the last value, timeseries their lines (legendFormat applied),
bargauge panels horizontal bars.
"""

import argparse
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def http(host, method, path, body=None):
    req = urllib.request.Request("http://%s%s" % (host, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def dns_query(name, qtype):
    qid = random.randrange(65536)
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split("."))
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + labels + b"\0" + struct.pack(">HH", qtype, 1)


def load(args):
    random.seed(7)
    dns_host, dns_port = args.dns.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    apps = {"video-edge": 40, "ar-assist": 25, "v2x-map": 12}
    names = []
    codes = {}
    end = time.time() + args.seconds
    next_write = time.time()
    n = 0
    queries = 0
    while time.time() < end:
        now = time.time()
        phase = (now % 30) / 30.0
        if now >= next_write:
            app = random.choice(list(apps))
            rid = "r%d" % random.randrange(apps[app])
            name = "%s.%s.mec.example" % (rid, app)
            body = {"dnsRuleId": rid, "domainName": name, "ipAddressType": "IP_V4",
                    "ipAddress": "10.%d.%d.%d" % (random.randrange(1, 250), random.randrange(250),
                                                  random.randrange(1, 250)),
                    "ttl": 30, "state": "ACTIVE" if random.random() < 0.85 else "INACTIVE"}
            code = http(args.http, "POST", "/mep/config/%s/dns_rules" % app, body)
            if code == 409:
                del body["dnsRuleId"]
                code = http(args.http, "PUT", "/mep/config/%s/dns_rules/%s" % (app, rid), body)
            codes[code] = codes.get(code, 0) + 1
            names.append(name)
            n += 1
            # Writes come in waves (5 to 40 per second), as relocations do.
            next_write = now + 1.0 / (5 + 35 * phase)
        for _ in range(8):
            r = random.random()
            if r < 0.6 and names:
                packet = dns_query(random.choice(names), 1)
            elif r < 0.75 and names:
                packet = dns_query(random.choice(names), 28)
            else:
                packet = dns_query("www%d.passed.example" % random.randrange(100), 1)
            try:
                sock.sendto(packet, (dns_host, int(dns_port)))
                queries += 1
            except BlockingIOError:
                pass
        try:
            while True:
                sock.recv(4096)
        except BlockingIOError:
            pass
        time.sleep(0.004)
    print("%d writes (%s), %d queries" % (n, ", ".join("%d: %d" % kv for kv in sorted(codes.items())),
                                         queries))


def prom(host, path, params):
    url = "http://%s%s?%s" % (host, path, urllib.parse.urlencode(params))
    with urllib.request.urlopen(url, timeout=10) as resp:
        answer = json.load(resp)
    if answer.get("status") != "success":
        raise RuntimeError("prometheus: %s" % answer)
    return answer["data"]["result"]


def legend(fmt, metric, fallback):
    if not fmt:
        return fallback
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt)


def gp_text(text):
    return text.replace("\\", "\\\\").replace('"', '\\"')


def render(args):
    empty = []
    dashboard = json.load(open(args.dashboard))
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    width, unit = 1600, 28
    height = rows * unit + 40
    script = ['set terminal pngcairo size %d,%d font "Sans,9" noenhanced background "#111217"'
              % (width, height),
              'set output "%s"' % gp_text(args.out),
              'set multiplot',
              'set border lc rgb "#8e8e8e"', 'set tics textcolor rgb "#c8c8c8"',
              'set key textcolor rgb "#c8c8c8" top left opaque box lc rgb "#333333"',
              'set grid lc rgb "#2c3235"', 'set xdata time', 'set timefmt "%s"',
              'set format x "%H:%M:%S"',
              'set label 999 "%s (instance %s; drawn from Prometheus by scripts/dashboard-picture.sh)" '
              'at screen 0.01, screen %f textcolor rgb "#e0e0e0" font "Sans,12"'
              % (gp_text(dashboard.get("title", "mecdns")), gp_text(args.instance),
                 1 - 14.0 / height)]
    colors = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff9830", "#f2495c", "#b877d9", "#5794f2"]
    top = 1 - 40.0 / height
    for panel in panels:
        g = panel["gridPos"]
        ox, sx = g["x"] / 24.0, g["w"] / 24.0
        sy = g["h"] * unit / float(height)
        oy = top - (g["y"] + g["h"]) * unit / float(height)
        script += ['set origin %f,%f' % (ox, oy), 'set size %f,%f' % (sx, sy),
                   'set title "%s" textcolor rgb "#e0e0e0"' % gp_text(panel.get("title", ""))]
        kind = panel.get("type")
        queries = [(t["expr"].replace("$instance", args.instance), t.get("legendFormat", ""))
                   for t in panel.get("targets", [])]
        unit_name = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        if kind == "stat":
            value = "-"
            for expr, _ in queries:
                result = prom(args.prometheus, "/api/v1/query", {"query": expr, "time": args.end})
                if not result:
                    empty.append((panel.get("title"), expr))
                if result:
                    v = float(result[0]["value"][1])
                    value = ("%d" % v) if v == int(v) else ("%.3g" % v)
                    if unit_name == "s":
                        value += " s"
            script += ['unset xtics', 'unset ytics', 'unset key', 'unset grid', 'unset xdata',
                       'set label 1 "%s" at graph 0.5, graph 0.42 center font "Sans,26" '
                       'textcolor rgb "#73bf69"' % value,
                       'set xrange [0:1]', 'set yrange [0:1]', 'plot NaN notitle',
                       'unset label 1', 'set xtics', 'set ytics', 'set key', 'set grid',
                       'set xdata time', 'unset xrange', 'unset yrange', 'set autoscale']
        elif kind == "timeseries":
            lines = []
            for expr, fmt in queries:
                # From the first full [1m] rate window on.
                start = min(float(args.start) + 60, float(args.end) - 30)
                result = prom(args.prometheus, "/api/v1/query_range",
                              {"query": expr, "start": start, "end": args.end, "step": 2})
                if not result:
                    empty.append((panel.get("title"), expr))
                for series in result:
                    name = legend(fmt, series["metric"], expr[:40])
                    path = os.path.join(args.work, "series%d.dat" % len(os.listdir(args.work)))
                    with open(path, "w") as f:
                        for t, v in series["values"]:
                            if v not in ("NaN", "+Inf", "-Inf"):
                                f.write("%s %s\n" % (t, v))
                    lines.append('"%s" using 1:2 with lines lw 2 lc rgb "%s" title "%s"'
                                 % (path, colors[len(lines) % len(colors)], gp_text(name)))
            script.append('set format y "%%.3g%s"' % (" s" if unit_name == "s" else ""))
            script.append("plot " + ", ".join(lines) if lines else "plot NaN title \"no data\"")
            script.append('set format y "%g"')
        elif kind == "bargauge":
            bars = []
            for expr, fmt in queries:
                result = prom(args.prometheus, "/api/v1/query", {"query": expr, "time": args.end})
                if not result:
                    empty.append((panel.get("title"), expr))
                for series in result:
                    bars.append((legend(fmt, series["metric"], "?"), float(series["value"][1])))
            bars.sort(key=lambda b: b[1])
            path = os.path.join(args.work, "bars%d.dat" % panel["id"])
            with open(path, "w") as f:
                for i, (name, v) in enumerate(bars):
                    f.write('%d "%s" %g\n' % (i, name, v))
            script += ['unset xdata', 'set format x "%g"', 'unset key', 'set style fill solid 0.8',
                       'set yrange [-0.6:%f]' % (len(bars) - 0.4), 'set xrange [0:*]',
                       'plot "%s" using 3:1:(0):3:($1-0.35):($1+0.35):ytic(2) with boxxyerror '
                       'lc rgb "#73bf69" notitle' % path if bars else 'plot NaN notitle',
                       'set key', 'set xdata time', 'set format x "%H:%M:%S"', 'unset yrange',
                       'unset xrange', 'set autoscale']
    script.append("unset multiplot")
    gp = os.path.join(args.work, "dashboard.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=True, stderr=subprocess.DEVNULL)
    if args.require_data and empty:
        for title, expr in empty:
            print("dashboard: panel \"%s\": no data for %s" % (title, expr), file=sys.stderr)
        return 1
    print("dashboard: %d panels drawn, every query answered" % len(panels))
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load")
    p.add_argument("--http", required=True)
    p.add_argument("--dns", required=True)
    p.add_argument("--seconds", type=float, default=90)
    p = sub.add_parser("render")
    for name in ("--prometheus", "--dashboard", "--start", "--end", "--instance", "--out", "--work"):
        p.add_argument(name, required=True)
    p.add_argument("--require-data", action="store_true",
                   help="fail naming every panel whose queries return nothing")
    args = parser.parse_args()
    return (load if args.command == "load" else render)(args)


if __name__ == "__main__":
    sys.exit(main())
