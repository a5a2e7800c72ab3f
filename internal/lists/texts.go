package lists

import "time"

const hour = time.Hour

// texts are the short sentences that go into replies, German first.
var texts = map[string]map[string]string{
	"de": {
		"bad_token":        "Der Bestätigungslink ist ungültig, abgelaufen oder wurde schon benutzt.",
		"unknown":          "Einen Befehl in Ihrer Mail kennen wir nicht.",
		"not_member":       "Diese Adresse ist nicht Mitglied der Liste; Einstellungen gibt es erst nach der Anmeldung.",
		"mode_set":         "Sie erhalten jetzt:",
		"name_set":         "Ihr Name in der Liste wurde geändert; Sie sehen ihn in Ihren Einstellungen.",
		"bad_input":        "Eine Angabe in Ihrer Mail ist nicht verwendbar.",
		"bad_name":         "Dieser Name geht nicht: höchstens 60 Zeichen und keine Mailadresse.",
		"postal_set":       "Ihre Postleitzahl ist jetzt:",
		"bad_postal":       "Das ist keine Postleitzahl.",
		"rate_limited":     "An diese Adresse gingen in letzter Zeit zu viele Mails; bitte versuchen Sie es später noch einmal.",
		"failed":           "Das hat leider nicht geklappt; bitte versuchen Sie es später noch einmal.",
		"mod_expired":      "Dieser Beitrag ist abgelaufen; er wurde nicht versandt.",
		"mod_unknown":      "Das haben wir nicht verstanden:",
		"mod_member":       "Ein Mitglied ohne Namen",
		"mod_nonmember":    "Nichtmitglied",
		"mod_poster":       "Absender Nr.",
		"mod_help":         "Antworten Sie mit ok, ablehnen GRUND, verwerfen, immer oder übernehmen.",
		"mod_already":      "Schon erledigt von",
		"mod_done_approve": "Freigegeben: der Beitrag geht an die Liste.",
		"mod_done_always":  "Freigegeben; Beiträge dieses Absenders werden künftig nicht mehr angehalten.",
		"mod_done_reject":  "Abgelehnt; der Absender bekommt Ihre Begründung.",
		"mod_done_discard": "Verworfen.",
		"mod_done_claim":   "Übernommen: die anderen sehen in der Übersicht, dass Sie sich kümmern.",
		"state_approved":   "freigegeben",
		"state_rejected":   "abgelehnt",
		"state_discarded":  "verworfen",
		"state_expired":    "abgelaufen",
	},
	"en": {
		"bad_token":        "The confirmation link is not valid, has expired or was used already.",
		"unknown":          "We do not know a command in your mail.",
		"not_member":       "This address is not a member of the list; settings come after joining.",
		"mode_set":         "You now receive:",
		"name_set":         "Your name on the list was changed; you see it in your settings.",
		"bad_input":        "Something in your mail is not usable.",
		"bad_name":         "This name does not work: at most 60 characters and no mail address.",
		"postal_set":       "Your postal code is now:",
		"bad_postal":       "That is not a postal code.",
		"rate_limited":     "Too many mails went to this address recently; please try again later.",
		"failed":           "That did not work; please try again later.",
		"mod_expired":      "This post has expired; it was not sent.",
		"mod_unknown":      "We did not understand:",
		"mod_member":       "A member without a name",
		"mod_nonmember":    "non-member",
		"mod_poster":       "poster no.",
		"mod_help":         "Reply with ok, reject REASON, discard, always or claim.",
		"mod_already":      "Already handled by",
		"mod_done_approve": "Approved: the post goes to the list.",
		"mod_done_always":  "Approved; this sender's posts will not be held any more.",
		"mod_done_reject":  "Rejected; the sender gets your reason.",
		"mod_done_discard": "Discarded.",
		"mod_done_claim":   "Claimed: the others see in the summary that you are on it.",
		"state_approved":   "approved",
		"state_rejected":   "rejected",
		"state_discarded":  "discarded",
		"state_expired":    "expired",
	},
}

func (s *Service) text(lang, key string) string {
	if t, ok := texts[s.lang(lang)][key]; ok {
		return t
	}
	return texts["de"][key]
}
