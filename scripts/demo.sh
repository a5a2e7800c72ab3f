#!/usr/bin/env bash
# Runs listd on its built-in defaults (SMTP 127.0.0.1:2525, web http://127.0.0.1:8080,
# no relay: mail stays in the outbox) with a fresh data dir, example lists and members,
# and a few threads posted through its own SMTP port.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./listd
rm -rf demo-data
mkdir -p demo-data
cd demo-data   # the defaults keep data in ./data, relative to here

LISTD="../$BIN" ../scripts/demo-data.sh

../$BIN serve &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT INT TERM
for i in $(seq 1 100); do
  curl -fsS http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { echo "listd did not start"; exit 1; }
  sleep 0.1
done

python3 ../scripts/demo-posts.py 127.0.0.1:2525
THREAD=$(curl -fsS "http://127.0.0.1:8080/api/v1/lists/kita/messages?limit=50" | python3 -c 'import json,sys; ms=json.load(sys.stdin); print(min(m["thread_id"] for m in ms if m["subject"].startswith("Kitaplatz")))')

cat <<MSG

listd is running with demo data (Ctrl-C stops it).

  Web archive     http://127.0.0.1:8080/
  A thread        http://127.0.0.1:8080/kita/t/$THREAD
  Find counselling http://127.0.0.1:8080/beratung?plz=10115
  Join a list     http://127.0.0.1:8080/kita/subscribe
  Search          http://127.0.0.1:8080/kita/search?q=kita
  Outbox          http://127.0.0.1:8080/outbox   (no relay is set: copies and notices wait here)
  JSON API        http://127.0.0.1:8080/api/v1/lists
  Atom feed       http://127.0.0.1:8080/kita/atom.xml
  IMAP            127.0.0.1:1143, user tom@example.com, password: $(../$BIN user password tom@example.com)
  Metrics         http://127.0.0.1:8080/metrics

Your settings (/prefs) and the moderation queue (/mod) need a login by mail link:

  1. Open http://127.0.0.1:8080/login and enter tom@example.com (a member) or,
     for /mod, moderation@example.org (the lists' moderator).
  2. The login mail waits in the outbox: open http://127.0.0.1:8080/outbox, the
     newest "Anmeldelink" copy (click its subject), and follow the link in it.
  3. You land on http://127.0.0.1:8080/prefs; as moderation@example.org, the link
     "Moderation" there leads to http://127.0.0.1:8080/mod, where a first post to
     the Umgang list waits for approval.

Post your own message as a member (swaks or curl):

  swaks --server 127.0.0.1:2525 --from tom@example.com --to kita@lists.example.org \\
        --header "Subject: Hallo" --body "Hallo zusammen!"

  printf 'From: tom@example.com\r\nSubject: Hallo\r\n\r\nHallo!\r\n' > /tmp/post.eml
  curl smtp://127.0.0.1:2525 --mail-from tom@example.com \\
       --mail-rcpt kita@lists.example.org --upload-file /tmp/post.eml

Operator commands work while it runs:  (cd demo-data && ../listd list ls)
MSG
wait $PID
