#!/usr/bin/env bash
# Non-blank TypeScript lines per top-level folder (packages/<x>, services/<x>, and bench,
# reliability, deploy, ... as a whole; files at the root as one row), split into src and
# test, at two git revisions, as a markdown table. Reads the revisions from git (git grep on
# their trees): no checkout, and the working tree is not looked at.
#
#   scripts/lines-per-folder.sh [BEFORE] [AFTER]
#
# BEFORE defaults to 0a54655 (main before issue 13), AFTER to HEAD.
#
# A file is test code when its name ends in .test.ts or a folder on its path is test, tests,
# __tests__ or fixtures; every other .ts/.mts/.cts file is src (a package's src/, bench
# drivers, the reliability harness, configs).
set -euo pipefail

before="${1:-0a54655}"
after="${2:-HEAD}"
cd "$(git rev-parse --show-toplevel)"

# Prints "<rev-label>\t<folder>\t<src|test>\t<lines>" per file of revision $1 labelled $2.
count() {
  # -c -v '^\s*$': per file, the lines that are not blank. "rev:path:count".
  git grep -I -c -v -e '^[[:space:]]*$' "$1" -- '*.ts' '*.mts' '*.cts' |
    awk -F: -v label="$2" '{
      count = $NF
      path = substr($0, length($1) + 2)
      path = substr(path, 1, length(path) - length(count) - 1)
      n = split(path, part, "/")
      if ((part[1] == "packages" || part[1] == "services") && n > 2) folder = part[1] "/" part[2]
      else if (n > 1) folder = part[1]
      else folder = "(root files)"
      kind = "src"
      if (part[n] ~ /\.test\.[mc]?ts$/) kind = "test"
      for (i = 1; i < n; i++) if (part[i] ~ /^(test|tests|__tests__|fixtures)$/) kind = "test"
      printf "%s\t%s\t%s\t%d\n", label, folder, kind, count
    }'
}

before_sha="$(git rev-parse --short "$before")"
after_sha="$(git rev-parse --short "$after")"
{ count "$before" before; count "$after" after; } |
  awk -F'\t' -v b="$before_sha" -v a="$after_sha" '
    { lines[$2, $1, $3] += $4; folders[$2] = 1; total[$1, $3] += $4 }
    function row(name, sb, sa, tb, ta) {
      printf "| %s | %d | %d | %d | %d | %d | %d | %+d |\n", name, sb, sa, tb, ta, sb + tb, sa + ta, (sa + ta) - (sb + tb)
    }
    END {
      printf "| folder | src %s | src %s | test %s | test %s | total %s | total %s | change |\n", b, a, b, a, b, a
      print "|---|---:|---:|---:|---:|---:|---:|---:|"
      count = 0
      for (f in folders) if (f != "(root files)") names[++count] = f
      # Insertion sort: awk has no portable sort.
      for (i = 2; i <= count; i++) {
        v = names[i]; j = i - 1
        while (j > 0 && names[j] > v) { names[j + 1] = names[j]; j-- }
        names[j + 1] = v
      }
      if ("(root files)" in folders) names[++count] = "(root files)"
      for (i = 1; i <= count; i++) {
        f = names[i]
        row(f, lines[f, "before", "src"], lines[f, "after", "src"], lines[f, "before", "test"], lines[f, "after", "test"])
      }
      row("**all**", total["before", "src"], total["after", "src"], total["before", "test"], total["after", "test"])
    }'
