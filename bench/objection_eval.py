"""Top-1 and top-3 accuracy of objection matching on a labelled set of phrasings.

Each line of the set is `{"text": …, "label": type code or null, "lang": …}`; a null label is
a message that must not match (a customer name, a product, a visit note). Top-1 counts the
recognised objection (`best`: the text must pass the objection cut-off); top-3 counts what the
rep is offered on /obj: the direct answer when the matcher is sure, else the two or three
likely buttons, which are ranked even under the cut-off; for a non-objection both count "not
an objection", so the `(none)` row is the share of non-objections rejected. `MISS3` marks a
line also missed by top-3. The seed library is read from its data
file, so no database is needed. Matching latency (p50, p95 per message, the matcher already
built) is printed last: matching runs on every plain-text message, so p95 must stay ≤ 5 ms.

    python bench/objection_eval.py [--file OTHER.jsonl] [--errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.services.objections import ObjectionMatcher, seed_specs

DEFAULT_SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "objections_eval.jsonl"
NONE = "(none)"


@dataclass
class Tally:
    n: int = 0
    top1: int = 0
    top3: int = 0
    sure: int = 0

    def row(self) -> str:
        share = lambda k: k / self.n if self.n else 0.0  # noqa: E731
        return (
            f"{self.n:4d}  top-1 {share(self.top1):6.1%}  top-3 {share(self.top3):6.1%}"
            f"  sure {share(self.sure):6.1%}"
        )


def evaluate(
    lines: list[dict[str, str | None]], matcher: ObjectionMatcher, errors: bool = False
) -> dict[str, dict[str, Tally]]:
    """Tallies overall, per type and per language; prints misses when `errors`."""
    tallies: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for line in lines:
        text, label = str(line["text"]), line.get("label")
        result = matcher.match(text)
        offered = [candidate.code for candidate in result.candidates]
        first = result.best.code if result.best else None
        top1 = first == label
        top3 = (not result.objection) if label is None else label in offered
        for group, key in (
            ("overall", "all"),
            ("type", label or NONE),
            ("language", str(line.get("lang", "?"))),
        ):
            tally = tallies[group][key]
            tally.n += 1
            tally.top1 += top1
            tally.top3 += top3
            tally.sure += result.sure
        if errors and not top1:
            scores = ", ".join(f"{c.code} {c.score:.2f}" for c in result.candidates)
            kind = "MISS" if top3 else "MISS3"
            mark = "" if result.objection else " (not an objection)"
            print(f"{kind} {label or NONE:>20} ← {text!r}: [{scores}]{mark}")
    return tallies


def latency_ms(
    lines: list[dict[str, str | None]], matcher: ObjectionMatcher
) -> tuple[float, float]:
    """p50 and p95 of one match, in milliseconds, over every line three times."""
    timings = []
    for _round in range(3):
        for line in lines:
            start = time.perf_counter()
            matcher.match(str(line["text"]))
            timings.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(timings, n=20)
    return statistics.median(timings), cuts[18]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_SET, help="a labelled .jsonl set")
    parser.add_argument("--errors", action="store_true", help="print every top-1 miss")
    args = parser.parse_args(argv)
    with args.file.open(encoding="utf-8") as handle:
        lines = [json.loads(line) for line in handle if line.strip()]
    matcher = ObjectionMatcher(seed_specs())
    tallies = evaluate(lines, matcher, errors=args.errors)
    for group in ("overall", "type", "language"):
        print(f"— {group}")
        for key, tally in sorted(tallies[group].items()):
            print(f"  {key:<20} {tally.row()}")
    p50, p95 = latency_ms(lines, matcher)
    print(f"— latency  p50 {p50:.2f} ms  p95 {p95:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
