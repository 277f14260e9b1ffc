#!/usr/bin/env python3
"""A whole-machine `perf script` as a per-call CPU budget and a flame graph
(bench/profile; docs/performance.md, "Per-call CPU budget").

Each sample is one 1/F-second slice of one core. A sample of kartond goes
to the first part below whose pattern matches a frame of its stack (the
order decides: the SQL an audit entry runs counts as audit, libpq under
a typed query as SQL, malloc under the row decoder as decode); a sample of another process to that process's
line. A part's time per call is its share of all samples times the
machine's CPU time in the window, divided by the calls made in it.

The flame graph is drawn here: Debian has no flame graph tool, and npm's
`flamegraph` reads only V8 and Node.js profiles. Stacks are folded root
first (the process, then its frames), each frame a box as wide as its
samples, its name and share in the box's tooltip.
"""
import argparse
import html
import os
import re
import sys
import zlib
from collections import Counter

# kartond's parts, first match wins. The patterns are on the demangled
# function names without their argument lists and template arguments
# (short() below); a frame perf could not name is its library, "[libpq.so.5]".
KARTOND_PARTS = [
    ("audit", re.compile(r"karton::kernel::\w*Audit")),
    ("events", re.compile(r"karton::kernel::\w*(EventBus|DomainEvents|Outbox)")),
    ("auth", re.compile(r"karton::kernel::\w*(AccessControl|Token|Identity|CallerOf)|sodium|"
                        r"crypto_")),
    ("logging", re.compile(r"spdlog|fmt::v\d+::|CallLogInterceptor::Log\b")),
    ("SQL", re.compile(r"libpq|\bPQ[a-z]\w*|pqsecure|soci::|RunPrepared|"
                       r"karton::kernel::Transaction")),
    ("decode", re.compile(r"karton::kernel::(RowPlan|TypedQuery|ParseProtoJson|PrintProtoJson)|"
                          r"karton::kernel::::(SetScalar|ForEachElement)")),
    ("handler", re.compile(r"karton::(partners|crm|messaging|helpdesk|orders|invoicing)::")),
    ("call bookkeeping (metrics, interceptor)", re.compile(r"CallLogInterceptor|Metrics")),
]
TRANSPORT = "transport"  # the rest of kartond: gRPC, protobuf on the wire, syscalls
HEADER = re.compile(r"^(.+?)\s+(\d+)/(\d+)\s")
FRAME = re.compile(r"^[0-9a-f]+\s+(.*?)\s+\((.*)\)$")


def samples(lines):
    """(comm, pid, frames leaf first) per sample of `perf script -F
    comm,pid,tid,time,event,ip,sym,dso`: a header line "comm pid/tid time:
    period event:", its frames indented, a blank line."""
    header, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            if header:
                yield header[0], header[1], frames
            header, frames = None, []
        elif not line[0].isspace():
            match = HEADER.match(line)
            header = (match.group(1).strip(), int(match.group(2))) if match else ("?", 0)
            frames = []
        else:
            match = FRAME.match(line.strip())
            if match:
                symbol, dso = match.groups()
                symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
                if symbol == "[unknown]":
                    symbol = f"[{os.path.basename(dso)}]"
                frames.append(symbol)
    if header:
        yield header[0], header[1], frames


def process_of(comm, pid, args):
    if pid == args.kartond_pid:
        return "kartond"
    if comm == "postgres":
        return "postgres"
    if pid == args.load_pid:
        return "karton_load"
    if pid == 0 or comm == "swapper":
        return "idle"
    return "other"


def short(symbol):
    """A frame's name without argument lists and templates, for the boxes."""
    depth, out = 0, []
    for char in symbol:
        if char in "(<":
            depth += 1
        elif char in ")>" and depth:
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out).strip() or symbol


def flame_svg(folded, total, title, width=1200, row=16):
    """Boxes for a tree of folded stacks: {tuple(root..leaf): samples}."""
    tree = {}
    for stack, count in folded.items():
        node = tree
        for frame in stack:
            entry = node.setdefault(frame, [0, {}])
            entry[0] += count
            node = entry[1]
    boxes, depth_max = [], 0

    def walk(node, x, depth):
        nonlocal depth_max
        for name, (count, children) in sorted(node.items()):
            w = width * count / total
            if w >= 0.3:
                boxes.append((x, depth, w, name, count))
                depth_max = max(depth_max, depth)
                walk(children, x, depth + 1)
            x += w

    walk(tree, 0.0, 0)
    height = (depth_max + 3) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="Verdana, sans-serif" font-size="11">',
           f'<rect width="100%" height="100%" fill="#f8f8f0"/>',
           f'<text x="{width / 2}" y="14" text-anchor="middle" font-size="14">'
           f'{html.escape(title)}</text>']
    for x, depth, w, name, count in boxes:
        y = height - (depth + 1) * row
        hue = 20 + zlib.crc32(name.encode()) % 40  # the same colour in every run
        label = html.escape(short(name))
        out.append(f'<g><title>{html.escape(name)} ({count} samples, '
                   f'{100 * count / total:.2f}%)</title>'
                   f'<rect x="{x:.1f}" y="{y}" width="{max(w - 0.5, 0.1):.1f}" height="{row - 1}" '
                   f'fill="hsl({hue}, 85%, 60%)"/>')
        if w > 30:
            chars = int(w / 6.5)
            text = label if len(label) <= chars else label[:max(chars - 2, 1)] + ".."
            out.append(f'<text x="{x + 3:.1f}" y="{y + row - 4}">{text}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stacks", required=True, help="perf script output")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, required=True, help="calls per second in the window")
    parser.add_argument("--kartond-pid", type=int, required=True)
    parser.add_argument("--load-pid", type=int, required=True)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--title", default="Per-call CPU")
    parser.add_argument("--svg", help="write the flame graph here")
    args = parser.parse_args()

    parts, folded, total = Counter(), Counter(), 0
    what = {name: Counter() for name, _ in KARTOND_PARTS}  # the frame each part matched
    with open(args.stacks, errors="replace") as stacks:
        for comm, pid, frames in samples(stacks):
            total += 1
            process = process_of(comm, pid, args)
            folded[(process,) + tuple(reversed(frames))] += 1
            if process == "kartond":
                # Matched on the names without argument lists: a wrapper
                # that takes a logger is not logging.
                names = [short(frame) for frame in frames]
                part, matched = TRANSPORT, None
                for name, pattern in KARTOND_PARTS:
                    matched = next((name for name in names if pattern.search(name)), None)
                    if matched:
                        part = name
                        break
                parts["kartond: " + part] += 1
                if matched:
                    what[part][matched] += 1
            else:
                parts[{"postgres": "PostgreSQL", "karton_load": "load client (karton_load)",
                       "idle": "idle", "other": "other (perf, kernel threads)"}[process]] += 1
    if total == 0:
        sys.exit("profile-report: no samples")
    calls = args.rate * args.seconds
    cpu_us = args.cores * args.seconds * 1e6  # the machine's CPU time in the window
    order = ["kartond: " + name for name, _ in KARTOND_PARTS] + ["kartond: " + TRANSPORT]
    rows = [(name, parts[name]) for name in order if parts[name]]
    rows += [(name, count) for name, count in parts.most_common() if not name.startswith("kartond")]
    kartond = sum(count for name, count in parts.items() if name.startswith("kartond"))
    print(f"### {args.title}")
    print()
    print(f"{total} samples on {args.cores} cores over {args.seconds:g} s, {calls:.0f} calls.")
    print()
    print("| part | share of the machine | µs per call |")
    print("| --- | ---: | ---: |")
    for name, count in rows:
        print(f"| {name} | {100 * count / total:.1f}% | {cpu_us * count / total / calls:.0f} |")
    print(f"| **kartond in all** | {100 * kartond / total:.1f}% | "
          f"{cpu_us * kartond / total / calls:.0f} |")
    print()
    print("The frames that put kartond's samples in each part, the commonest first:")
    print()
    for name, _ in KARTOND_PARTS:
        if what[name]:
            common = ", ".join(f"`{frame}` {count}" for frame, count in what[name].most_common(3))
            print(f"- {name}: {common}")
    if args.svg:
        with open(args.svg, "w") as svg:
            svg.write(flame_svg(folded, total, args.title))


if __name__ == "__main__":
    main()
