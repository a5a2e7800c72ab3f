package check

// texts are the report's sentences, German first. Each says what was found and, when
// something is missing, what to do.
var texts = map[string]map[string]string{
	"de": {
		"status_ok":      "OK",
		"status_warn":    "WARN",
		"status_missing": "FEHLT",
		"dns_error":      "%s: DNS hat nicht geantwortet (%v); später noch einmal prüfen",

		"relay_missing": "kein Relay: ausgehende Mail bleibt im Postausgang. In listd.toml [relay] address = \"127.0.0.1:25\" (Postfix) oder den Server Ihres Mail-Anbieters eintragen",
		"relay_ok":      "ausgehende Mail geht über %s",

		"base_url_bad":   "base_url %q ist keine URL",
		"base_url_local": "base_url %s zeigt auf diesen Rechner: Links in Mails funktionieren für niemanden. base_url = \"https://NAME\" eintragen, unter dem der Reverse-Proxy listd erreichbar macht",
		"base_url_http":  "base_url %s ist kein https: Abmelden mit einem Klick (RFC 8058) und sichere Cookies brauchen https. TLS im Reverse-Proxy einrichten und base_url auf https:// ändern",
		"base_url_ok":    "Links in Mails zeigen auf %s",

		"mx_missing":    "kein MX-Eintrag für %s: Mail an die Listen kommt nicht an. Im DNS z. B. „%[1]s. IN MX 10 mail.%[1]s.“ eintragen",
		"mx_null":       "%s hat einen Null-MX („.“): die Domain nimmt keine Mail an. Den MX auf den Mailserver zeigen lassen",
		"mx_no_address": "der MX-Server %s hat keine Adresse (A/AAAA): einen A-Eintrag für ihn anlegen",
		"mx_ok":         "%s: Mail geht an %s",

		"spf_missing":   "kein SPF-Eintrag (TXT „v=spf1 …“) für %s: Empfänger halten die Mails der Listen eher für Spam. Z. B. „%[1]s. IN TXT \"v=spf1 mx -all\"“ eintragen (oder ip4:ADRESSE des Servers)",
		"spf_many":      "%s hat %d SPF-Einträge: das ist ein Fehler (RFC 7208 §3.2), Empfänger werten keinen aus. Zu einem zusammenfassen",
		"spf_unchecked": "%q; ob er die Adresse erlaubt, von der Mail abgeht, ist ungeprüft (keine öffentliche Adresse bekannt): mit -ip ÖFFENTLICHE-ADRESSE prüfen",
		"spf_fails":     "der SPF-Eintrag von %s erlaubt %s nicht (%s): ip4:/ip6: dieser Adresse in %q aufnehmen",
		"spf_ok":        "%q erlaubt %s",

		"dkim_off":              "DKIM-Signatur aus ([dkim] selector ist leer): Empfänger wie Gmail und Outlook verlangen sie. selector = \"listd\" setzen und listd dkim keygen ausführen",
		"dkim_no_key":           "kein Schlüssel %s: listd dkim keygen -selector %s ausführen und den ausgegebenen TXT-Eintrag im DNS veröffentlichen",
		"dkim_no_key_published": "%s ist veröffentlicht, aber der Schlüssel %s fehlt: die Schlüsseldatei aus der Sicherung zurückholen oder mit listd dkim keygen einen neuen machen und den Eintrag ersetzen",
		"dkim_bad_key":          "Schlüssel %s nicht verwendbar: %v",
		"dkim_missing":          "kein DKIM-Eintrag %s: diesen Eintrag im DNS veröffentlichen: %s",
		"dkim_other_key":        "%s veröffentlicht einen anderen Schlüssel als %s: Empfänger verwerfen die Signaturen. Den Eintrag ersetzen durch: %s",
		"dkim_ok":               "%s passt zum Schlüssel %s",

		"dmarc_missing": "kein DMARC-Eintrag %s: große Anbieter verlangen ihn von Absendern vieler Mails. Z. B. „%[1]s. IN TXT \"v=DMARC1; p=none\"“ eintragen",
		"dmarc_many":    "%s hat %d DMARC-Einträge: Empfänger werten keinen aus. Zu einem zusammenfassen",
		"dmarc_bad":     "%s ist fehlerhaft: %v",
		"dmarc_ok":      "%s: Richtlinie p=%s",

		"ptr_local":        "das Relay %s läuft auf diesem Rechner: mit -ip ÖFFENTLICHE-ADRESSE prüfen, ob die Adresse, von der Mail abgeht, einen passenden PTR-Eintrag hat",
		"relay_no_address": "das Relay %s hat keine Adresse im DNS: [relay] address prüfen",
		"ptr_unknown":      "ungeprüft: kein Relay eingetragen; mit -ip ÖFFENTLICHE-ADRESSE die Adresse angeben, von der Mail abgeht",
		"ptr_missing":      "%s hat keinen PTR-Eintrag (Reverse-DNS): viele Empfänger lehnen Mail von solchen Adressen ab. Beim Anbieter des Servers einen PTR auf den Namen des Servers eintragen lassen",
		"ptr_no_forward":   "der PTR-Eintrag von %s nennt %s, aber dieser Name zeigt nicht zurück auf die Adresse: einen A/AAAA-Eintrag für %[2]s auf %[1]s anlegen",
		"ptr_ok":           "%s (und zurück)",
	},
	"en": {
		"status_ok":      "OK",
		"status_warn":    "WARN",
		"status_missing": "MISSING",
		"dns_error":      "%s: DNS did not answer (%v); check again later",

		"relay_missing": "no relay: outgoing mail stays in the outbox. Set [relay] address = \"127.0.0.1:25\" (Postfix) or your mail provider's server in listd.toml",
		"relay_ok":      "outgoing mail goes through %s",

		"base_url_bad":   "base_url %q is not a URL",
		"base_url_local": "base_url %s points to this machine: links in mails work for nobody. Set base_url = \"https://NAME\" under which the reverse proxy serves listd",
		"base_url_http":  "base_url %s is not https: one-click unsubscribe (RFC 8058) and secure cookies need https. Set up TLS in the reverse proxy and change base_url to https://",
		"base_url_ok":    "links in mails point to %s",

		"mx_missing":    "no MX record for %s: mail to the lists does not arrive. Publish e.g. %[1]s. IN MX 10 mail.%[1]s.",
		"mx_null":       "%s has a null MX (\".\"): the domain takes no mail. Point the MX at the mail server",
		"mx_no_address": "the MX server %s has no address (A/AAAA): publish an A record for it",
		"mx_ok":         "%s: mail goes to %s",

		"spf_missing":   "no SPF record (TXT \"v=spf1 ...\") for %s: receivers are more likely to take the lists' mail for spam. Publish e.g. %[1]s. IN TXT \"v=spf1 mx -all\" (or ip4:ADDRESS of the server)",
		"spf_many":      "%s has %d SPF records: that is an error (RFC 7208 §3.2), receivers use none. Merge them into one",
		"spf_unchecked": "%q; whether it allows the address mail leaves from is unchecked (no public address known): check with -ip PUBLIC-ADDRESS",
		"spf_fails":     "the SPF record of %s does not allow %s (%s): add ip4:/ip6: of this address to %q",
		"spf_ok":        "%q allows %s",

		"dkim_off":              "DKIM signing off ([dkim] selector is empty): receivers such as Gmail and Outlook require it. Set selector = \"listd\" and run listd dkim keygen",
		"dkim_no_key":           "no key %s: run listd dkim keygen -selector %s and publish the TXT record it prints",
		"dkim_no_key_published": "%s is published but the key %s is missing: restore the key file from a backup, or make a new one with listd dkim keygen and replace the record",
		"dkim_bad_key":          "key %s not usable: %v",
		"dkim_missing":          "no DKIM record %s: publish this record in DNS: %s",
		"dkim_other_key":        "%s publishes another key than %s: receivers discard the signatures. Replace the record with: %s",
		"dkim_ok":               "%s matches the key %s",

		"dmarc_missing": "no DMARC record %s: large providers require one from senders of much mail. Publish e.g. %[1]s. IN TXT \"v=DMARC1; p=none\"",
		"dmarc_many":    "%s has %d DMARC records: receivers use none. Merge them into one",
		"dmarc_bad":     "%s is malformed: %v",
		"dmarc_ok":      "%s: policy p=%s",

		"ptr_local":        "the relay %s runs on this machine: check with -ip PUBLIC-ADDRESS that the address mail leaves from has a matching PTR record",
		"relay_no_address": "the relay %s has no address in DNS: check [relay] address",
		"ptr_unknown":      "unchecked: no relay set; give the address mail leaves from with -ip PUBLIC-ADDRESS",
		"ptr_missing":      "%s has no PTR record (reverse DNS): many receivers refuse mail from such addresses. Ask the server's provider for a PTR naming the server",
		"ptr_no_forward":   "the PTR record of %s names %s, but that name does not point back to the address: publish an A/AAAA record for %[2]s with %[1]s",
		"ptr_ok":           "%s (and back)",
	},
}
