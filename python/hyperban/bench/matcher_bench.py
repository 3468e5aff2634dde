"""``python -m hyperban bench``: matcher throughput on a generated log.

Generates an auth.log (default 500,000 lines, 5% attack lines), then times
each engine over it in chunks, side by side, with the bare Hyperscan scan as
the physical limit. Regexes: the bundled sshd set, or a file of regexes (one
per line) given with ``--patterns``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hyperban.bench import genlog
from hyperban.bench.sshd_patterns import SSHD_PATTERNS
from hyperban.matcher import ENGINES, PatternError, compile_patterns

CHUNK_BYTES = 8 << 20


def split_chunks(data: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    """Pieces of about ``size`` bytes, each ending at a line end."""
    pieces, start = [], 0
    while start < len(data):
        end = data.find(b"\n", min(start + size, len(data)) - 1)
        end = len(data) if end < 0 else end + 1
        pieces.append(data[start:end])
        start = end
    return pieces


def read_patterns(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a regex file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hyperban bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--attack-ratio", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kind", choices=genlog.KINDS, default="auth")
    parser.add_argument("--patterns", type=Path, help="file of regexes, one per line")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument(
        "--python-lines", type=int, default=50_000, help="lines the slow python engine gets"
    )
    args = parser.parse_args(argv)

    try:
        sources = read_patterns(args.patterns) if args.patterns else SSHD_PATTERNS
    except OSError as e:
        print(f"hyperban bench: cannot read {args.patterns}: {e.strerror}", file=sys.stderr)
        return 2
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        print(f"hyperban bench: unknown engine(s) {', '.join(unknown)}", file=sys.stderr)
        return 2

    t0 = time.perf_counter()
    text = "\n".join(genlog.generate(args.kind, args.lines, args.attack_ratio, args.seed)) + "\n"
    data = text.encode()
    print(
        f"generated {args.lines:,} {args.kind} lines ({len(data) / 1e6:.0f} MB, "
        f"{args.attack_ratio:.0%} attack) in {time.perf_counter() - t0:.1f}s; "
        f"{len(sources)} regexes"
    )
    pieces = split_chunks(data)
    python_pieces = split_chunks(data[: prefix_bytes(data, args.python_lines)])
    rates: dict[str, float] = {}
    for engine in engines:
        try:
            matcher = compile_patterns(list(enumerate(sources)), engine=engine)
        except PatternError as e:
            print(f"hyperban bench: {e}", file=sys.stderr)
            return 2
        work = python_pieces if engine == "python" else pieces
        t0 = time.perf_counter()
        results = [matcher.scan(p) for p in work]
        seconds = time.perf_counter() - t0
        lines = sum(r[1] for r in results)
        found = sum(len(r[0]) for r in results)
        rates[engine] = lines / seconds
        print(
            f"  {engine:10} {rates[engine]:14,.0f} lines/s  ({found:,} matches in {lines:,} lines)"
        )
        if engine == "hyperscan":
            t0 = time.perf_counter()
            for p in pieces:
                matcher.raw_scan(p)
            raw = len(pieces) and sum(p.count(b"\n") for p in pieces) / (time.perf_counter() - t0)
            print(f"  {'raw scan':10} {raw:14,.0f} lines/s  (bare Hyperscan pass: the limit)")
    if "hyperscan" in rates and "python" in rates:
        print(f"hyperscan is {rates['hyperscan'] / rates['python']:,.0f}x the python engine")
    return 0


def prefix_bytes(data: bytes, lines: int) -> int:
    """Byte length of the first ``lines`` lines of ``data``."""
    pos = 0
    for _ in range(lines):
        nxt = data.find(b"\n", pos)
        if nxt < 0:
            return len(data)
        pos = nxt + 1
    return pos


if __name__ == "__main__":
    sys.exit(main())
