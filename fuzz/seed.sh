#!/usr/bin/env bash
# Gather the seed corpora of the fuzz targets into fuzz/corpus/<target>/ from
# what the repository already has: the examples, the test fixtures and cases,
# and the shared conformance suites (../shared/conformance*/, when present).
# Files are copied under a name made of their content's hash, so running it
# again adds only what is new. The corpora are not committed (they grow
# during a campaign); run this before the first campaign on a machine.
set -euo pipefail
cd "$(dirname "$0")/.."

out=fuzz/corpus
mkdir -p "$out"/{model,ndjson,json,csv,events,workbook,lsp_messages}

# Copy each file named on standard input into the corpus folder $1.
add() {
  local dir="$out/$1" f
  while IFS= read -r f; do
    [ -f "$f" ] || continue
    # libFuzzer's default -max_len is 4096 bytes; larger seeds would be cut
    [ "$(wc -c <"$f")" -le 65536 ] || continue
    cp "$f" "$dir/$(sha1sum "$f" | cut -c1-40)"
  done
}

sources=(examples tests crates)
for shared in ../shared/conformance ../shared/conformance-v1.1; do
  [ -d "$shared" ] && sources+=("$shared")
done

find "${sources[@]}" -name '*.mql' -not -path '*/target/*' | add model
find "${sources[@]}" \( -name '*.ndjson' -o -name '*.jsonl' \) -not -path '*/target/*' \
  -not -name '*events*' | add ndjson
find "${sources[@]}" -name '*.json' -not -path '*/target/*' -not -path '*/snapshots/*' \
  -not -name 'package*.json' -not -name 'tsconfig.json' -not -name '*events*' | add json
find "${sources[@]}" -name '*.csv' -not -path '*/target/*' -not -name '*events*' | add csv
# the workbook target writes text into a workbook itself: CSV seeds, and any
# real workbooks there are
find "${sources[@]}" \( -name '*.csv' -o -name '*.xlsx' \) -not -path '*/target/*' \
  -not -name '*events*' | add workbook
find "${sources[@]}" -name '*events*' \( -name '*.csv' -o -name '*.ndjson' -o -name '*.jsonl' \) \
  -not -path '*/target/*' | add events

# the language server: a few message sequences (one JSON-RPC body a line)
printf '%s\n' \
  '{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///w/m.mql","languageId":"mql","version":1,"text":"lead { a: int }\ncriterion c = a > 1\n"}}}' \
  '{"jsonrpc":"2.0","id":2,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///w/m.mql"},"position":{"line":1,"character":15}}}' \
  '{"jsonrpc":"2.0","id":1.5,"method":"textDocument/formatting","params":{"textDocument":{"uri":"file:///w/m.mql"},"options":{"tabSize":2,"insertSpaces":true}}}' \
  >"$out/lsp_messages/seed-open-hover"

# few JSON array files exist: make some from the NDJSON seeds
for f in $(find "$out/ndjson" -type f | sort | head -n 60); do
  awk 'BEGIN { printf "[" } NF { if (n++) printf ",\n"; printf "%s", $0 } END { print "]" }' "$f" \
    >"$out/json/from-ndjson-$(basename "$f")"
done

for t in model ndjson json csv events workbook lsp_messages; do
  echo "fuzz/corpus/$t: $(find "$out/$t" -type f | wc -l) seeds"
done
