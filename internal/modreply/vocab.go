package modreply

// The vocabulary. Keys are folded (textfold.Spelled): lower case, umlauts spelled out, so
// "übernehmen", "uebernehmen" and "ÜBERNEHMEN" are one key; emoji are stored without
// skin tones or variation selectors (see key). Tables are read only.

// words are the single words that decide a reply.
var words = map[string]Action{
	"ok": Approve, "okay": Approve, "okey": Approve, "oki": Approve, "ja": Approve,
	"jo": Approve, "jap": Approve, "jep": Approve, "yes": Approve, "yep": Approve,
	"yup": Approve, "y": Approve, "approve": Approve, "approved": Approve, "accept": Approve,
	"freigeben": Approve, "freigabe": Approve, "freigegeben": Approve, "genehmigen": Approve,
	"genehmigt": Approve, "passt": Approve, "gut": Approve, "klar": Approve,
	"einverstanden": Approve, "veroeffentlichen": Approve, "durchlassen": Approve,
	"annehmen": Approve, "publish": Approve, "lgtm": Approve, "+1": Approve,
	"👍": Approve, "✅": Approve, "✔": Approve, "☑": Approve, "👌": Approve, "🆗": Approve,

	"reject": Reject, "rejected": Reject, "ablehnen": Reject, "abgelehnt": Reject,
	"ablehnung": Reject, "nein": Reject, "no": Reject, "nope": Reject, "nee": Reject,
	"noe": Reject, "zurueckweisen": Reject, "zuruckweisen": Reject, "zurueckgewiesen": Reject,
	"decline": Reject, "deny": Reject, "👎": Reject, "❌": Reject,

	"discard": Discard, "verwerfen": Discard, "verworfen": Discard, "loeschen": Discard,
	"loschen": Discard, "geloescht": Discard, "spam": Discard, "delete": Discard,
	"weg": Discard, "wegwerfen": Discard, "muell": Discard, "mull": Discard, "trash": Discard,
	"drop": Discard, "ignorieren": Discard, "ignore": Discard, "🗑": Discard,

	"always": Always, "immer": Always, "whitelist": Always, "allowlist": Always,
	"vertrauen": Always, "trust": Always, "vertrauenswuerdig": Always,

	"claim": Claim, "uebernehmen": Claim, "ubernehmen": Claim, "uebernehme": Claim,
	"mine": Claim, "meins": Claim,
}

// phrases are two- and three-word keys; they are tried before the single words, so
// that "nicht freigeben" is not read as "nicht" and "immer erlauben" keeps its sense.
var phrases = map[string]Action{
	"in ordnung": Approve, "geht klar": Approve, "alles gut": Approve, "alles klar": Approve,
	"sieht gut aus": Approve, "looks good": Approve, "no problem": Approve,
	"kein problem": Approve,

	"nicht freigeben": Reject, "nicht genehmigen": Reject, "nicht veroeffentlichen": Reject,
	"do not approve": Reject, "don't approve": Reject, "don’t approve": Reject,

	"immer erlauben": Always, "immer freigeben": Always, "immer zulassen": Always,
	"dauerhaft freigeben": Always, "always approve": Always, "always allow": Always,

	"ich mach das": Claim, "ich mache das": Claim, "ich machs": Claim, "mach ich": Claim,
	"ich uebernehme": Claim, "ich ubernehme": Claim, "ich kuemmere mich": Claim,
	"i'll take it": Claim, "i’ll take it": Claim,
}

// alwaysExtras may follow an Always keyword, besides polite and approving words.
var alwaysExtras = map[string]bool{
	"erlauben": true, "zulassen": true, "durchlassen": true, "absender": true,
	"absenderin": true, "sender": true, "person": true, "diese": true, "dieser": true,
	"diesen": true, "this": true, "von": true, "from": true, "fuer": true, "for": true,
	"der": true, "die": true, "den": true, "sie": true, "ihn": true, "ihr": true, "ihm": true,
	"them": true, "her": true, "him": true, "allow": true, "und": true, "and": true,
}

// affirmations are a plain "yes". Followed directly by another action ("Ja, ablehnen",
// "ok, verwerfen") they agree to that action rather than approve.
var affirmations = map[string]bool{
	"ok": true, "okay": true, "okey": true, "oki": true, "ja": true, "jo": true, "jap": true,
	"jep": true, "yes": true, "yep": true, "yup": true, "y": true, "gut": true, "klar": true,
}

// greetings open a mail. A line of them ("Hallo,", "Moin", "Hallo Anna") is not what
// the moderator decided, and they may lead into the decision: "Hallo, ok".
var greetings = map[string]bool{
	"hallo": true, "halloechen": true, "hi": true, "hey": true, "hello": true, "moin": true,
	"moinsen": true, "servus": true, "huhu": true, "hei": true, "dear": true, "liebe": true,
	"lieber": true, "liebes": true, "guten": true, "good": true, "tag": true, "morgen": true,
	"abend": true, "gruezi": true, "gruess": true, "tach": true,
}

// greetWho may follow a greeting word: "Hallo zusammen", "Hi all". Names pass as
// capitalised words.
var greetWho = map[string]bool{
	"zusammen": true, "alle": true, "all": true, "team": true, "ihr": true, "lieben": true,
	"leute": true, "everyone": true, "folks": true, "there": true, "miteinander": true,
	"dich": true, "euch": true, "gott": true, "und": true,
}

// polite words may lead into the decision ("Bitte ablehnen") and are no reason on
// their own ("Nein danke").
var polite = map[string]bool{
	"danke": true, "dankeschoen": true, "schoen": true, "vielen": true, "dank": true,
	"bitte": true, "please": true, "pls": true, "thanks": true, "thank": true, "you": true,
	"thx": true, "merci": true, "gerne": true, "gern": true, "sehr": true, "🙏": true,
}

// noReason are words that, alone, do not tell the poster why: the polite words and
// "(bitte) nicht".
var noReason = map[string]bool{"nicht": true, "not": true, "lieber": true, "und": true}

// thanksWords may come before a sign-off on its line: "Danke und LG".
var thanksWords = map[string]bool{
	"danke": true, "dankeschoen": true, "vielen": true, "dank": true, "thanks": true,
	"thx": true, "und": true, "and": true, "&": true,
}

// stopPrefixes start the lines that mail programs put above what is forwarded or
// quoted, and some phone footers (folded).
var stopPrefixes = []string{
	"get outlook for", "holen sie sich outlook", "outlook fuer android", "outlook fuer ios",
	"download outlook", "begin forwarded message", "anfang der weitergeleiteten",
	"original message", "urspruengliche nachricht", "weitergeleitete nachricht",
	"forwarded message", "original-nachricht",
}

// noticeMarkers are fixed phrases of the held-post notice (templates/mail/*/moderate.txt,
// folded). Some clients include the notice below the reply without ">" and without a
// header block; reading stops at a line that contains one.
var noticeMarkers = []string{
	"wartet auf ihre entscheidung", "waits for your decision", "antworten sie auf diese mail",
	"reply to this mail", "freigabe noetig / approval needed",
}
