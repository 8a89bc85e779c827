"""Extraction quality on the hand-labelled Kairos.fm pages: P/R/F1 per type, misses, false finds.

python benchmarks/extraction_quality.py [--corpus ../shared/corpus/kairos.fm] [--details]
    [--holdout | --holdout2 | --labels FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from kgraph import KnowledgeGraph
from kgraph.evaluation import TARGETS, evaluate, load_labels

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "kairos.fm"))
    ap.add_argument("--labels", default=str(ROOT / "tests" / "labels" / "kairos_eval.json"))
    ap.add_argument("--details", action="store_true", help="list every miss and false find")
    ap.add_argument(
        "--holdout",
        action="store_true",
        help="score the held-out set (tests/labels/kairos_holdout.json), never used for tuning",
    )
    ap.add_argument(
        "--holdout2",
        action="store_true",
        help="score the second held-out set (tests/labels/kairos_holdout2.json), labelled after tuning",
    )
    args = ap.parse_args()
    if not Path(args.corpus, "content").is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    if args.holdout:
        args.labels = str(ROOT / "tests" / "labels" / "kairos_holdout.json")
    elif args.holdout2:
        args.labels = str(ROOT / "tests" / "labels" / "kairos_holdout2.json")
    labels = load_labels(args.labels)
    with tempfile.TemporaryDirectory() as tmp:
        kg = KnowledgeGraph.build([args.corpus], store=Path(tmp) / "store")
        scores = evaluate(kg, labels)
    print(f"{len(labels)} labelled pages\n")
    print(f"{'type':<14} {'P':>6} {'R':>6} {'F1':>6} {'target':>7}  {'tp':>4} {'fp':>4} {'fn':>4}  met")
    met_all = True
    for kind, s in scores.items():
        met = s.f1 >= TARGETS[kind]
        met_all &= met
        print(
            f"{kind:<14} {s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f} {TARGETS[kind]:7.2f}  "
            f"{s.tp:4d} {s.fp:4d} {s.fn:4d}  {'yes' if met else 'NO'}"
        )
    for kind, s in scores.items():
        if args.details or kind not in ("organizations",):
            limit = None if args.details else 15
            if s.misses:
                print(f"\n{kind}: missed ({len(s.misses)})")
                print("\n".join("  " + m for m in s.misses[:limit]))
            if s.false_finds:
                print(f"\n{kind}: false finds ({len(s.false_finds)})")
                print("\n".join("  " + m for m in s.false_finds[:limit]))
    print(f"\nall targets met: {'yes' if met_all else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
