#!/usr/bin/env python3
"""Maintains the tagger's labelled corpus (tests/fixtures/tagging/).

  corpus.py split OUT_DIR PART.jsonl...   merge gathered parts into tune.jsonl and validation.jsonl,
                                          split by outlet (no outlet in both), ~30 % validation
  corpus.py stats FILE.jsonl...           items, outlets, provenance, positives per subtopic, kinds
  corpus.py agreement FILE.jsonl...       agreement and Cohen's kappa per tag of the two
                                          independent labelling passes (rows where they differed
                                          keep both as pass_a and pass_b; labels are the settled ones)

The split is deterministic: an outlet is in validation when the first four bytes of the SHA-256
of its name, read as a fraction, fall below 0.30. Adding items never moves an outlet between
splits, and nobody chooses which outlet lands where."""
import hashlib
import json
import os
import sys
from collections import Counter

TAGS = ["ai-infra", "ai-infra/datacenters", "ai-infra/chips", "ai-infra/compute",
        "ai-infra/energy", "ai-infra/cloud", "ai-infra/investment"]
VALIDATION_SHARE = 0.30


def read(paths):
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit(f"{path}:{n}: not JSON: {e}")
                bad = [t for t in row.get("labels", []) if t not in TAGS]
                if bad:
                    sys.exit(f"{path}:{n}: unknown labels {bad}")
                rows.append(row)
    return rows


def in_validation(outlet):
    """An outlet's split follows from its name alone, so adding rows never moves an outlet."""
    digest = hashlib.sha256(outlet.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < VALIDATION_SHARE


def shingles(row):
    words = " ".join([row["title"], row["summary"]]).split()
    return {" ".join(words[i:i + 4]) for i in range(max(len(words) - 3, 1))}


def near_duplicate(a, b):
    """Two rows carrying mostly the same text (one agency story on two outlets)."""
    return len(a & b) / max(min(len(a), len(b)), 1) > 0.5


def deduplicate(rows):
    """Keeps the first of rows with the same id, URL or (nearly) the same text."""
    seen_ids, seen_urls, kept, kept_shingles, dropped = set(), set(), [], [], 0
    for row in rows:
        url = row.get("url")
        text = shingles(row)
        if (row["id"] in seen_ids or (url and url != "written" and url in seen_urls)
                or any(near_duplicate(text, k) for k in kept_shingles)):
            dropped += 1
            continue
        seen_ids.add(row["id"])
        seen_urls.add(url)
        kept.append(row)
        kept_shingles.append(text)
    print(f"dropped {dropped} duplicate or near-duplicate rows", file=sys.stderr)
    return kept


def split(out_dir, paths):
    kept = deduplicate(read(paths))
    validation_outlets = {r["outlet"] for r in kept if in_validation(r["outlet"])}
    os.makedirs(out_dir, exist_ok=True)
    for name, pick in (("tune", False), ("validation", True)):
        part = [r for r in kept if (r["outlet"] in validation_outlets) == pick]
        part.sort(key=lambda r: r["id"])
        with open(os.path.join(out_dir, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for r in part:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(part)} items from {len({r['outlet'] for r in part})} outlets")


def stats(paths):
    rows = read(paths)
    print(f"items: {len(rows)}; outlets: {len({r['outlet'] for r in rows})}")
    print("provenance:", dict(Counter(r.get("provenance", "?") for r in rows)))
    print("kind:", dict(Counter(r.get("kind", "?") for r in rows)))
    for tag in TAGS:
        print(f"  {tag:22} {sum(tag in r['labels'] for r in rows):5}")
    top = Counter(r["outlet"] for r in rows).most_common(5)
    print("largest outlets:", ", ".join(f"{o} {n}" for o, n in top))


def kappa(a, b):
    n = len(a)
    if n == 0:
        return float("nan")
    agree = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if chance == 1 else (agree - chance) / (1 - chance)


def agreement(paths):
    """Agreement of the two labelling passes. A row where they differed keeps both as `pass_a`
    and `pass_b` (its `labels` are the settled ones); elsewhere both passes gave `labels`."""
    rows = read(paths)
    a = [set(r.get("pass_a", r["labels"])) for r in rows]
    b = [set(r.get("pass_b", r["labels"])) for r in rows]
    same = sum(x == y for x, y in zip(a, b))
    print(f"items: {len(rows)}; identical label sets in both passes: {same} ({same / max(len(rows), 1):.1%})")
    for tag in TAGS:
        xa = [tag in x for x in a]
        xb = [tag in y for y in b]
        agree = sum(x == y for x, y in zip(xa, xb))
        print(f"  {tag:22} agreement {agree / max(len(rows), 1):.3f}  kappa {kappa(xa, xb):.3f}")
    settled_a = sum(set(r["labels"]) == set(r["pass_a"]) for r in rows if "pass_a" in r)
    settled_b = sum(set(r["labels"]) == set(r["pass_b"]) for r in rows if "pass_b" in r)
    print(f"disagreements settled by the guide: {len(rows) - same} "
          f"(as pass A: {settled_a}, as pass B: {settled_b}, neither: {len(rows) - same - settled_a - settled_b})")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "split" and len(args) >= 2:
        split(args[0], args[1:])
    elif cmd == "stats" and args:
        stats(args)
    elif cmd == "agreement" and args:
        agreement(args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
