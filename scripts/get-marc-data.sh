#!/usr/bin/env bash
# Fetch real MARC records for the tests and benchmarks.
#
# pymarc's source distribution (from the package index, through pip) carries 250,000
# Library of Congress MARC 21 records (BooksAll.2016.part01.utf8, 8,000 of them Chinese
# with vernacular 880 fields) and pymarc's own small test files: marc.dat,
# testunimarc.dat, bad_records.mrc, utf8_invalid.mrc, batch.xml, ...
#
# Usage: scripts/get-marc-data.sh DIR
#   -> DIR/BooksAll.2016.part01.utf8 and DIR/test/. Does nothing if both are there.
set -euo pipefail

dir=${1:?usage: get-marc-data.sh DIR}
version=5.4.0
big=BooksAll.2016.part01.utf8

if [ -s "$dir/$big" ] && [ -s "$dir/test/marc.dat" ]; then
  echo "MARC data already in $dir"
  exit 0
fi
mkdir -p "$dir"
python=${PYTHON:-$(command -v python3 || command -v python)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" -m pip download --quiet --no-deps --no-binary :all: "pymarc==$version" -d "$tmp"
tar -xzf "$tmp/pymarc-$version.tar.gz" -C "$tmp"
src="$tmp/pymarc-$version"
# Move into place last, so an interrupted run leaves nothing that looks complete.
rm -rf "$dir/test.partial"
mv "$src/test" "$dir/test.partial"
mv "$src/$big" "$dir/$big.partial"
rm -rf "$dir/test"
mv "$dir/test.partial" "$dir/test"
mv "$dir/$big.partial" "$dir/$big"
echo "MARC data in $dir: $big (250,000 MARC 21 records) and test/ (pymarc's samples)"
