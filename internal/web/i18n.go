package web

// messages holds the page texts, German first.
var messages = map[string]map[string]string{
	"de": {
		"site_name":        "Mailinglisten",
		"language":         "Sprache",
		"footer_privacy":   "Adressen von Mitgliedern werden nie angezeigt.",
		"lists_heading":    "Unsere Listen",
		"no_lists":         "Noch gibt es keine Listen.",
		"archive_public":   "öffentliches Archiv",
		"archive_members":  "Archiv nur für Mitglieder",
		"archive_private":  "kein öffentliches Archiv",
		"post_to":          "Beiträge an",
		"search":           "Suchen",
		"no_hits":          "Nichts gefunden.",
		"recent":           "Neueste Beiträge",
		"no_messages":      "Noch keine Beiträge.",
		"older":            "Ältere Beiträge",
		"thread":           "Diskussion",
		"anonymous":        "Ohne Namen",
		"outbox":           "Ausgang",
		"outbox_intro":     "Es ist kein Relay eingerichtet: ausgehende Mails bleiben hier, bis eines eingerichtet ist.",
		"queued":           "wartend",
		"sent":             "gesendet",
		"failed":           "gescheitert",
		"recipient":        "Empfänger",
		"list":             "Liste",
		"queued_at":        "eingereiht",
		"more":             "Weitere",
		"back_home":        "Zur Startseite",
		"not_found":        "Diese Seite gibt es nicht.",
		"no_such_list":     "Diese Liste gibt es nicht.",
		"members_only":     "Dieses Archiv ist nur für Mitglieder.",
		"internal_error":   "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später noch einmal.",
		"bad_request":      "Diese Anfrage ist ungültig.",
		"outbox_forbidden": "Der Ausgang ist nur auf diesem Rechner sichtbar.",
	},
	"en": {
		"site_name":        "Mailing lists",
		"language":         "Language",
		"footer_privacy":   "Members' addresses are never shown.",
		"lists_heading":    "Our lists",
		"no_lists":         "There are no lists yet.",
		"archive_public":   "public archive",
		"archive_members":  "archive for members only",
		"archive_private":  "no public archive",
		"post_to":          "Posts to",
		"search":           "Search",
		"no_hits":          "Nothing found.",
		"recent":           "Latest posts",
		"no_messages":      "No posts yet.",
		"older":            "Older posts",
		"thread":           "Discussion",
		"anonymous":        "No name",
		"outbox":           "Outbox",
		"outbox_intro":     "No relay is configured: outgoing mail stays here until one is.",
		"queued":           "waiting",
		"sent":             "sent",
		"failed":           "failed",
		"recipient":        "Recipient",
		"list":             "List",
		"queued_at":        "queued",
		"more":             "More",
		"back_home":        "Back to the start page",
		"not_found":        "This page does not exist.",
		"no_such_list":     "This list does not exist.",
		"members_only":     "This archive is for members only.",
		"internal_error":   "An internal error occurred. Please try again later.",
		"bad_request":      "This request is not valid.",
		"outbox_forbidden": "The outbox is visible on this machine only.",
	},
}

// translate returns the text for key in lang, falling back to German, then the key.
func translate(lang, key string) string {
	if s, ok := messages[lang][key]; ok {
		return s
	}
	if s, ok := messages["de"][key]; ok {
		return s
	}
	return key
}

// author is how a post's author appears: the name they gave, never the address.
func author(lang, name string) string {
	if name == "" {
		return translate(lang, "anonymous")
	}
	return name
}
