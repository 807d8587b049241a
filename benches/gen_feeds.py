#!/usr/bin/env python3
"""Generates N synthetic Arabic RSS feeds of M items each (about 40 KB per feed, HTML
descriptions) for the end-to-end benchmark. Deterministic for a given seed."""
import argparse
import os
import random

WORDS = (
    "أعلنت شركة إنفيديا عن إطلاق رقاقات جديدة لمراكز البيانات في المنطقة وقالت مصادر إن الطلب "
    "على وحدات معالجة الرسوميات يتجاوز المعروض بينما تستثمر مايكروسوفت مليارات الدولارات في "
    "البنية التحتية للذكاء الاصطناعي وتخطط أمازون لتوسيع خدماتها السحابية في الخليج العربي "
    "وتناقش الحكومة خطة جديدة للطاقة المتجددة مع ارتفاع استهلاك الكهرباء في المدن الكبرى "
    "وفاز الفريق بالمركز الأول في البطولة بعد مباراة مثيرة أمام جمهور كبير في الملعب الوطني "
    "وتتوقع الأرصاد أمطارا غزيرة على المناطق الشمالية خلال الأيام المقبلة مع انخفاض درجات الحرارة"
).split()


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def item(rng, feed, i):
    title = sentence(rng, rng.randint(7, 12))
    paragraphs = "".join(
        f"<p>{sentence(rng, rng.randint(25, 40))}</p>" for _ in range(rng.randint(2, 3))
    )
    day = 1 + (i % 28)
    return (
        f"<item><title>{title}</title>"
        f"<link>https://news{feed}.example/2026/11/{day}/article-{feed}-{i}</link>"
        f"<guid isPermaLink=\"false\">feed{feed}-item{i}</guid>"
        f"<pubDate>Sat, {day:02d} Nov 2026 10:{i % 60:02d}:00 +0000</pubDate>"
        f"<description><![CDATA[{paragraphs}]]></description></item>"
    )


def feed(rng, n, items):
    body = "".join(item(rng, n, i) for i in range(items))
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
    for n in range(args.feeds):
        with open(os.path.join(args.out, f"feed{n}.xml"), "w", encoding="utf-8") as f:
            f.write(feed(rng, n, args.items))


if __name__ == "__main__":
    main()
