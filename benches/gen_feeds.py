#!/usr/bin/env python3
"""Generates N synthetic Arabic RSS feeds of M items each (about 40 KB per feed, HTML
descriptions) for the end-to-end benchmark, from the words of the real Arabic fixtures; one item
in five retells an event that other feeds report too. Deterministic for a given seed."""
import argparse
import html
import os
import random
import re

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
ARABIC_WORD = re.compile(r"[\u0621-\u064a]{2,}")


def vocabulary():
    """Every distinct Arabic word of the fixtures' real feeds, article and labelled items:
    thousands of words, so two unrelated synthetic items share about as little as two real
    ones do (a small word list would make every item look like every other)."""
    words = set()
    for root, _, files in os.walk(FIXTURES):
        if "fuzz" in root or "hostile" in root:
            continue
        for name in files:
            if name.endswith((".xml", ".txt", ".jsonl")):
                with open(os.path.join(root, name), encoding="utf-8", errors="ignore") as f:
                    words.update(ARABIC_WORD.findall(html.unescape(f.read())))
    return sorted(words)


WORDS = vocabulary()
# One item in five retells an event other outlets also report (the work stories exist for).
EVENT_SHARE = 0.2
EVENT_WORDS = 6


def sentence(rng, n, words=WORDS):
    return " ".join(rng.choice(words) for _ in range(n))


def event(rng, number):
    """An event: its key words and figure, and the day and hour it happened."""
    return (rng.sample(WORDS, EVENT_WORDS), f"{rng.randint(2, 999)}.{rng.randint(1, 9)}",
            1 + number % 28, rng.randint(6, 20))


def item(rng, events, feed, i):
    day, hour = 1 + (i % 28), 10
    if events and rng.random() < EVENT_SHARE:
        keys, figure, day, hour = rng.choice(events)
        words = rng.sample(keys, 4) + [figure] + sentence(rng, rng.randint(3, 6)).split()
        title = " ".join(words)
        lead = f"{' '.join(keys)} {figure} "
    else:
        title = sentence(rng, rng.randint(7, 12))
        lead = ""
    paragraphs = "".join(
        f"<p>{sentence(rng, rng.randint(25, 40))}</p>" for _ in range(rng.randint(2, 3))
    )
    return (
        f"<item><title>{title}</title>"
        f"<link>https://news{feed}.example/2026/11/{day}/article-{feed}-{i}</link>"
        f"<guid isPermaLink=\"false\">feed{feed}-item{i}</guid>"
        f"<pubDate>Sat, {day:02d} Nov 2026 {hour:02d}:{i % 60:02d}:00 +0000</pubDate>"
        f"<description><![CDATA[<p>{lead}</p>{paragraphs}]]></description></item>"
    )


def feed(rng, events, n, items):
    body = "".join(item(rng, events, n, i) for i in range(items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>موقع أخبار {n}</title><link>https://news{n}.example/</link>"
        f"<description>أخبار التقنية</description><language>ar</language>{body}</channel></rss>"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    # About five reports per event.
    events = [event(rng, k) for k in range(max(1, args.feeds * args.items // 25))]
    for n in range(args.feeds):
        with open(os.path.join(args.out, f"feed{n}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(rng, events, n, args.items))


if __name__ == "__main__":
    main()
