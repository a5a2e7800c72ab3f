package command

// The vocabulary. Keys are folded (textfold.Spelled): lower case, umlauts spelled out, so
// "kuendigen" also matches "kündigen" and "KÜNDIGEN". Tables are read only.

// verbs are the single words that start a command.
var verbs = map[string]Verb{
	"help": Help, "hilfe": Help, "info": Help, "befehle": Help, "commands": Help,

	"subscribe": Subscribe, "join": Subscribe, "anmelden": Subscribe, "abonnieren": Subscribe,
	"eintragen": Subscribe, "anmeldung": Subscribe,

	"unsubscribe": Unsubscribe, "unsub": Unsubscribe, "leave": Unsubscribe, "signoff": Unsubscribe,
	"remove": Unsubscribe, "abmelden": Unsubscribe, "abmeldung": Unsubscribe, "austragen": Unsubscribe,
	"austreten": Unsubscribe, "kuendigen": Unsubscribe, "kundigen": Unsubscribe, "kuendigung": Unsubscribe,
	"abbestellen": Unsubscribe,

	"digest": Digest, "zusammenfassung": Digest, "sammelmail": Digest,

	"each": Each, "einzeln": Each, "einzelmails": Each, "nodigest": Each, "normal": Each,

	"nomail": NoMail, "nurweb": NoMail, "webonly": NoMail, "pause": NoMail,

	"postal": Postal, "plz": Postal, "postleitzahl": Postal, "zip": Postal, "zipcode": Postal,
	"postcode": Postal,

	"name": Name, "pseudonym": Name, "nickname": Name, "nick": Name, "spitzname": Name,

	"confirm": Confirm, "bestaetigen": Confirm, "bestatigen": Confirm,

	"beratung": Counsel, "counselling": Counsel, "counseling": Counsel, "beratungsstellen": Counsel,

	"withdraw": Withdraw, "retract": Withdraw, "zurueckziehen": Withdraw, "zuruckziehen": Withdraw,
}

// phrases are two-word verbs; they are tried before the single words.
var phrases = map[string]Verb{
	"sign off":  Unsubscribe,
	"no digest": Each, "keine zusammenfassung": Each,
	"nur web": NoMail, "web only": NoMail, "no mail": NoMail, "keine mails": NoMail,
	"keine mail": NoMail, "keine e-mails": NoMail,
	"postal code": Postal, "zip code": Postal,
	"beitrag zurueckziehen": Withdraw, "beitrag zuruckziehen": Withdraw, "withdraw post": Withdraw,
}

// setWords may come before a verb: "set digest", "modus digest", "/set nomail".
var setWords = map[string]bool{"set": true, "modus": true, "mode": true}

// leadPolite may come before a verb: "Bitte abmelden", "Danke, bitte abmelden"; so
// may greetings.
var leadPolite = map[string]bool{"bitte": true, "please": true, "pls": true, "kindly": true, "danke": true}

// politeTrail may follow a postal code: "plz 10115 bitte".
var politeTrail = map[string]bool{
	"bitte": true, "please": true, "pls": true, "plz": true, "danke": true, "dankeschoen": true,
	"thanks": true, "thx": true,
}

// fillers may follow a verb that takes no argument without changing it.
var fillers = map[string]bool{
	// polite
	"bitte": true, "please": true, "pls": true, "plz": true, "danke": true, "dankeschoen": true,
	"thanks": true, "thx": true, "thank": true, "you": true, "vielen": true, "dank": true,
	"schoen": true, "gerne": true, "gern": true,
	// "(I want to) remove me from the list", "mich von der Liste"
	"i": true, "ich": true, "want": true, "would": true, "like": true, "moechte": true,
	"will": true, "me": true, "mich": true, "my": true, "mein": true, "meine": true, "mir": true,
	"from": true, "von": true, "vom": true, "aus": true, "to": true, "zu": true, "zur": true,
	"zum": true, "in": true, "im": true, "bei": true, "at": true, "of": true, "for": true,
	"fuer": true, "the": true, "der": true, "die": true, "das": true, "dem": true, "den": true,
	"this": true, "diese": true, "diesen": true, "dieser": true,
	"list": true, "liste": true, "listen": true, "mailingliste": true, "mailinglist": true,
	"mailing": true, "verteiler": true, "mail": true, "mails": true, "email": true,
	"emails": true, "e-mail": true, "e-mails": true, "address": true, "adresse": true,
	// "digest mode on", "Zusammenfassung: ja", "abmelden, jetzt"
	"mode": true, "modus": true, "on": true, "an": true, "ein": true, "ja": true, "yes": true,
	"all": true, "alle": true, "now": true, "jetzt": true, "sofort": true, "again": true,
	"wieder": true,
}

// listIntro are fillers after which the list name may follow: "remove me from kita".
var listIntro = map[string]bool{
	"from": true, "von": true, "vom": true, "aus": true, "to": true, "zu": true, "zur": true,
	"zum": true, "list": true, "liste": true, "mailingliste": true, "mailinglist": true,
	"verteiler": true, "bei": true, "for": true, "fuer": true, "in": true, "im": true,
}

// negators turn a command into its opposite or into a question; such a line is
// reported rather than obeyed. "aus" (off) counts for the delivery modes only, where
// it cannot mean "from".
var negators = map[string]bool{
	"nicht": true, "not": true, "no": true, "nein": true, "kein": true, "keine": true,
	"keinen": true, "off": true, "nie": true, "never": true, "stop": true, "stopp": true,
	"beenden": true, "end": true, "cancel": true, "undo": true, "deaktivieren": true,
	"disable": true, "false": true, "rueckgaengig": true,
}

// greetings are single words that open a mail; on their own line they are not
// mistyped commands.
var greetings = map[string]bool{
	"hallo": true, "halloechen": true, "hi": true, "hey": true, "hello": true, "moin": true,
	"moinsen": true, "servus": true, "huhu": true, "hei": true, "dear": true, "liebe": true,
	"lieber": true, "guten": true, "good": true, "tag": true, "morgen": true, "abend": true, "gruezi": true, "danke": true,
	"dankeschoen": true, "thanks": true, "thx": true, "merci": true, "bitte": true,
	"please": true,
}

// stopPrefixes start the lines that phones and mail programs add below what was
// typed, or above what is forwarded (folded).
var stopPrefixes = []string{
	"gesendet von", "gesendet vom", "gesendet mit", "gesendet ueber", "von meinem",
	"sent from", "sent with", "sent via", "sent using", "get outlook", "holen sie sich outlook",
	"diese nachricht wurde", "this message was sent", "von unterwegs",
	"begin forwarded message", "anfang der weitergeleiteten", "original message",
	"urspruengliche nachricht", "weitergeleitete nachricht", "forwarded message",
}
