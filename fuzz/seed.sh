#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's fixtures and config files.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p corpus/feed_parse corpus/normalize corpus/taxonomy corpus/config
cp ../tests/fixtures/feeds/*.xml ../tests/fixtures/hostile/*.xml corpus/feed_parse/
head -c 4000 ../tests/fixtures/articles/microsoft_xai_ai_infrastructure.txt > corpus/normalize/article.txt
cp ../config/taxonomy.toml corpus/taxonomy/
cp ../config/mirsad.toml corpus/config/
