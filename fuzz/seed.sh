#!/usr/bin/env bash
# Fill fuzz/corpus/<target>/ with starting inputs: the shared corpus's lists and hostile
# files (when ../shared/ is beside the checkout) and a few hand-written structured inputs.
set -euo pipefail
cd "$(dirname "$0")"
shared=${SHARED:-../../shared}
c=corpus
mkdir -p $c/parse_sheet $c/parse_pdf $c/parse_csv $c/parse_fields
if [ -d "$shared/corpus/lists" ]; then
  cp "$shared"/corpus/lists/*.{xlsx,xls,ods} $c/parse_sheet/ 2>/dev/null || true
  cp "$shared"/corpus/lists/*.pdf $c/parse_pdf/
  cp "$shared"/corpus/lists/*.csv $c/parse_csv/
fi
if [ -d "$shared/hostile/sheet" ]; then
  # Small hostile files only: big ones make every run slow.
  find "$shared/hostile/sheet" -size -200k -type f -exec cp {} $c/parse_sheet/ \;
  find "$shared/hostile/pdf" -size -200k -type f -exec cp {} $c/parse_pdf/ \;
fi
printf 'Trekkliste 240974\nPeriode: 11.2026\n\nFødselsnummer;Navn;Beløp;Merknad\n01019012345;Nordmann, Kari;#450.5;\n#5826510058;OLA HANSEN;kr 1 234,50;Sluttet 31.10.2026\n;Sum;#1685\n' > $c/parse_sheet/structured-1
printf 'Ansattnr;Etternavn;Fornavn;Fnr;Trekk\n12;Berg;Siri;15057512345;450,-\n@@\nAnsattnr;Etternavn;Fornavn;Fnr;Trekk\n13;Lie;Per;;(200)\n' > $c/parse_sheet/structured-2
printf '\x10\xf0\x09Fodselsnummer\n\x40\xf0\x09Navn\n\x80\xf0\x09Bel\xf8p\n\x10\xe8\x0901019012345\n\x40\xe8\x09Nordmann, Kari\n\x80\xe8\x09450,00\n\x0c\n\x10\xf0\x09Fodselsnummer\n\x40\xf0\x09Navn\n\x80\xf0\x09Bel\xf8p\n\x10\x10\x08Side 2 av 2\n' > $c/parse_pdf/structured-1
printf 'Medlemsnr,Navn,Fnr,Belop\r\n1,"Nordmann, Kari",010190 12345,"1.234,50"\r\n' > $c/parse_csv/seed-1
printf 'Navn\tFnr\tBel\xf8p\nKari\t01019012345\t450\n' > $c/parse_csv/seed-2
for s in '1 234,50' 'kr 450,-' '(1.234,50)' '450,00-' '1,234.56' '13. november 2026' '2026-11-15T00:00' \
  '31.10.26' '20261115' '010190 12345' '5826510058.0' "'01019012345" 'HANSEN, OLA' 'von der BERG PER' \
  'Fødselsnummer' 'Beløp pr mnd' 'Sluttet 31.10.2026'; do
  printf '%s' "$s" > "$c/parse_fields/$(printf '%s' "$s" | sha1sum | cut -c1-12)"
done
echo "seeds in fuzz/$c/"
