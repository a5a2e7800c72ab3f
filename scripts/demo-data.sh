#!/usr/bin/env bash
# The demo's lists, members, counselling centres and postal codes, set up with listd's
# own commands. LISTD is the command to run (default: ./listd of this project; the
# tests add -config). Everything it needs ships with the project: a fresh clone
# alone gives a working demo.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LISTD=${LISTD:-$ROOT/listd}

L() { $LISTD "$@" >/dev/null; }
L list create kita -title "Kita und Schule" -description "Kitaplätze, Eingewöhnung, Schule, Hort" -topics kita,schule
L list create unterhalt -title "Unterhalt" -description "Unterhalt, Unterhaltsvorschuss, Düsseldorfer Tabelle" -topics unterhalt,finanzen
L list create umgang -title "Umgang und Sorgerecht" -description "Umgangsregelungen und gemeinsames Sorgerecht" -topics umgang,sorgerecht -archive members
L list create job -title "Job und Alltag" -description "Arbeit, Teilzeit, Wiedereinstieg" -topics beruf
for l in kita unterhalt umgang job; do
  L member add $l "Moderation <moderation@example.org>" -role moderator
  L member add $l "Sonnenblume <sonnenblume@example.net>" -postal 10115
  L member add $l "Lena <lena@example.net>" -mode digest -postal 50667
  L member add $l "Papa Tom <tom@example.com>"
  L member add $l "Leserin <leserin@example.com>" -mode nomail
done

# The counselling directory: example centres, and the German postal codes of their
# cities (an excerpt of GeoNames, CC BY 4.0, see examples/geo/README.md). An operator
# imports the whole GeoNames file instead.
L centers import "$ROOT/examples/centers.example.csv"
L geo import "$ROOT/examples/geo/DE.example.txt"
L list set umgang -moderation first-post
# The Kita list's public archive may be found by search engines (robots.txt).
L list set kita -indexing on
