package lists

import "time"

const hour = time.Hour

// texts are the short sentences that go into replies, German first.
var texts = map[string]map[string]string{
	"de": {
		"bad_token":    "Der Bestätigungslink ist ungültig, abgelaufen oder wurde schon benutzt.",
		"unknown":      "Diesen Befehl kennen wir nicht:",
		"not_member":   "Diese Adresse ist nicht Mitglied der Liste; Einstellungen gibt es erst nach der Anmeldung.",
		"mode_set":     "Sie erhalten jetzt:",
		"name_set":     "Ihr Name in der Liste ist jetzt:",
		"bad_name":     "Dieser Name geht nicht: höchstens 60 Zeichen und keine Mailadresse.",
		"postal_set":   "Ihre Postleitzahl ist jetzt:",
		"bad_postal":   "Das ist keine Postleitzahl.",
		"rate_limited": "Zu viele Anfragen in kurzer Zeit; bitte versuchen Sie es später noch einmal.",
		"failed":       "Das hat leider nicht geklappt; bitte versuchen Sie es später noch einmal.",
	},
	"en": {
		"bad_token":    "The confirmation link is not valid, has expired or was used already.",
		"unknown":      "We do not know this command:",
		"not_member":   "This address is not a member of the list; settings come after joining.",
		"mode_set":     "You now receive:",
		"name_set":     "Your name on the list is now:",
		"bad_name":     "This name does not work: at most 60 characters and no mail address.",
		"postal_set":   "Your postal code is now:",
		"bad_postal":   "That is not a postal code.",
		"rate_limited": "Too many requests in a short time; please try again later.",
		"failed":       "That did not work; please try again later.",
	},
}

func (s *Service) text(lang, key string) string {
	if t, ok := texts[s.lang(lang)][key]; ok {
		return t
	}
	return texts["de"][key]
}
