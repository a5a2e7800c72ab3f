package bounce

import (
	"regexp"
	"strings"
)

var (
	// reAddr is a mail address in free text; letters beyond ASCII are allowed
	// so that an internationalised address is not cut in half.
	reAddr = regexp.MustCompile(`[\p{L}\p{N}!#$%&*+/=?^_{|}~.-]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+`)
	// reAddrLine is a line that starts with an address, the way reports list
	// failed recipients: "<a@b>:", "  a@b", "a@b on 1/2/2024".
	reAddrLine = regexp.MustCompile(`^[ \t]*<?(` + reAddr.String() + `)>?:?(?:[ \t]|$|<|\()`)
	// reReplyPrefix marks a reply or forward, i.e. a human's mail.
	reReplyPrefix = regexp.MustCompile(`^\s*(?:\[[^\]]{0,64}\]\s*)?(?:re|aw|fw|fwd|wg|sv|vs|tr|antw|rif|odp|vb)\s*(?:\[\d+\])?\s*:`)
	// reBounceTail is a failure phrase that some gateways append to the
	// subject they answer ("RE: subject : non remis (delivery failed)"),
	// where a person replying to a failure would have it at the start.
	reBounceTail   = regexp.MustCompile(`(?:\(|:\s)\s*(?:delivery failed|non remis|undeliverable|unzustellbar|nicht zustellbar|returned mail)\)?\s*$`)
	reDelaySubject = regexp.MustCompile(`\bdelay(?:ed)?\b|verzögert|still being retried|could not send message for past`)
	// reOriginal marks where a report starts quoting the returned message,
	// whose content says nothing about the failure.
	reOriginal = regexp.MustCompile(`(?im)^[ \t]*(?:-{2,}[ \t]*(?:this is a copy of (?:the|your) message|the body of the message|below this line is a copy|enclosed are the original|(?:original|unsent|returned|undelivered) message|message headers? follows?|the header of the original message)|-*[ \t]*(?:original message headers:|original-nachrichtenkopfzeilen|ursprüngliche nachrichtenkopfzeilen))`)
)

var (
	daemonWords = []string{
		"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail delivery",
		"mail-delivery", "maildelivery", "delivery subsystem", "microsoftexchange",
		"mail administrator", "mail router", "mdaemon", "mail system", "double-bounce",
	}
	bounceSubjects = []string{
		"undeliverable", "undelivered", "delivery status notification (failure)",
		"delivery failure", "delivery failed", "delivery has failed", "failure notice",
		"returned mail", "returned to sender", "unzustellbar", "nicht zustellbar",
		"nicht zugestellt", "zustellung fehlgeschlagen", "non remis", "non recapitabile",
		"onbestelbaar", "unable to deliver", "could not be delivered",
		"couldn't be delivered", "not delivered", "mail system error", "address not found",
		"failed delivery", "failed mail", "mail failed", "user unknown", "non-delivery",
		"не доставлено",
	}
	autoSubjects = []string{
		"out of office", "out of the office", "abwesenheit", "automatische antwort",
		"vacation", "auto-reply", "autoreply", "auto reply", "automatic reply",
		"autoresponder", "auto-response", "auto response", "réponse automatique",
		"respuesta automática", "risposta automatica", "automatisch antwoord",
		"nicht im büro", "afwezig",
	}
	// failureWords in a body from a mail daemon mean a failure even when no
	// reply code or cause can be found.
	failureWords = []string{
		"could not be delivered", "couldn't be delivered", "wasn't delivered",
		"was not delivered", "delivery failed", "delivery has failed", "undeliverable",
		"failed permanently", "permanent error", "nicht zugestellt",
		"konnten nicht erreicht werden", "unzustellbar", "nicht zustellbar",
		"fehlgeschlagen", "has been returned because", "failed addresses follow",
		"recipients was aborted", "was rejected by", "не может быть доставлено",
	}
	delayWords = []string{
		"this is a warning only", "has not yet been delivered", "has been delayed",
		"is delayed to these recipients", "delivery is delayed",
		"transient non-fatal errors", "will continue to try", "will be retried until",
		"no action is required on your part", "noch nicht zugestellt",
	}
	// finalWords outweigh delayWords: a report that also says the MTA gave up.
	finalWords = []string{
		"permanent fatal errors", "failed permanently", "this is a permanent error",
		"delivery has failed to these recipients", "not going to try again",
	}
)

// formatMarkers recognise the non-DSN formats by their fixed wording, matched
// against the lower-cased body with whitespace collapsed (reports wrap
// lines). The first format with a matching marker wins; Exim's wording is
// copied by others, so it comes last.
var formatMarkers = []struct {
	name    string
	markers []string
}{
	{"qmail", []string{"this is the qmail-send program"}},
	{"postfix", []string{"this is the mail system at host"}},
	{"sendmail", []string{"the following addresses had permanent fatal errors", "transcript of session follows"}},
	{"exchange", []string{
		"delivery has failed to these recipients or groups", "remote server returned '",
		"the following recipient(s) cannot be reached", "did not reach the following recipient",
		"your message did not reach some or all of the intended recipients",
		"oder gruppen ist fehlgeschlagen", "vom remoteserver wurde",
		"delivery to the following recipients failed.",
	}},
	{"gmail", []string{
		"delivery to the following recipient failed permanently",
		"the response from the remote server was:", "the error that the other server returned was:",
		"technical details of permanent failure",
	}},
	{"exim", []string{
		"this message was created automatically by mail delivery software",
		"could not be delivered to one or more of its recipients",
		"the following address(es) failed",
	}},
}

func detectFormat(flat string) string {
	for _, f := range formatMarkers {
		if containsAny(flat, f.markers) {
			return f.name
		}
	}
	return ""
}

// report classifies the message. The order matters: a machine-readable DSN
// part is trusted whoever sent it; then human and auto-reply mail is ruled
// out before any wording in the body is believed.
func (m *message) report() *Report {
	text := m.bodyText()
	body := cutOriginal(text)
	lines := splitLines(body)

	var recips []Recipient
	for _, d := range m.dsn {
		recips = append(recips, dsnRecipients(d, lines)...)
	}
	if len(recips) > 0 {
		return &Report{Format: "dsn", Recipients: clipRecipients(recips)}
	}
	if len(m.refused) > 0 {
		// A refusal sent as a disposition notification: the text gives the
		// reason (a full mailbox is soft), else it counts as soft.
		r := findReply(lines, allLines(lines))
		words := asciiLower(body)
		if r.diag != "" {
			words = asciiLower(r.diag)
		}
		rep := &Report{Format: "mdn"}
		for _, a := range m.refused {
			rep.Recipients = append(rep.Recipients, Recipient{Address: a, Status: r.status, Diagnostic: r.diag,
				Class: classify(r.status, r.code, words, Soft)})
		}
		return rep
	}
	if m.mdn {
		// A read receipt (RFC 8098): the message arrived.
		return &Report{}
	}

	subj := asciiLower(m.subject)
	daemon := containsAny(m.from, daemonWords)
	bounceSubj := containsAny(subj, bounceSubjects)
	// Failure subjects quote the original subject, which may say "delayed".
	delaySubj := !bounceSubj && reDelaySubject.MatchString(subj)
	auto := m.autoReply(subj)
	if !daemon && reReplyPrefix.MatchString(subj) && !reBounceTail.MatchString(subj) || auto && !daemon && !bounceSubj {
		return &Report{}
	}
	autoSub := strings.ToLower(strings.TrimSpace(m.header.Get("Auto-Submitted")))
	nullSender := strings.TrimSpace(m.header.Get("Return-Path")) == "<>"
	// multipart/report is only ever written by programs.
	mt, params := contentType(m.header)
	report := mt == "multipart/report" && isDeliveryReport(params["report-type"])
	if !daemon && !bounceSubj && !delaySubj && !nullSender && !report && (autoSub == "" || autoSub == "no") {
		return &Report{}
	}

	if reDSNRecipient.MatchString(text) && reDSNAction.MatchString(text) {
		if recips := dsnRecipients(text, lines); len(recips) > 0 {
			return &Report{Format: "dsn", Recipients: recips}
		}
	}

	flat := strings.Join(strings.Fields(asciiLower(body)), " ")
	format := detectFormat(flat)
	name := format
	if name == "" {
		name = "generic"
	}
	if delaySubj || containsAny(flat, delayWords) && !containsAny(flat, finalWords) {
		return &Report{Format: name}
	}
	failure := containsAny(flat, failureWords)
	if format == "" && auto && !bounceSubj && !(daemon && failure) {
		return &Report{}
	}
	fallback := Hard // the known formats are only sent for failures
	if format == "" {
		fallback = NotABounce
		// A mail daemon returning the message is a failure too, whatever
		// language its words are in.
		if bounceSubj || failure || daemon && m.returned {
			fallback = Soft // a failure, of unknown severity
		}
	}
	recips = m.textRecipients(lines, flat, fallback)
	rep := &Report{Format: name, Recipients: recips}
	if format == "" && rep.Class() == NotABounce {
		return &Report{}
	}
	return rep
}

// textRecipients extracts the failed recipients from a report's text: one
// per listed address with the reply or reason found under it, or, when the
// text lists none, one from the whole text.
func (m *message) textRecipients(lines []string, flat string, fallback Class) []Recipient {
	own := m.ownAddresses()
	gaveUp := containsAny(flat, gaveUpWords) || reGaveUp.MatchString(flat)
	finish := func(r Recipient) Recipient {
		if r.Class == Soft && gaveUp {
			r.Class = Hard
		}
		return r
	}
	var out []Recipient
	for _, b := range addressBlocks(lines, own) {
		out = append(out, finish(blockRecipient(lines, b, fallback)))
	}
	if len(out) > 0 {
		return out
	}

	r := findReply(lines, allLines(lines))
	// With a reply, only its text refines the class; the rest of the body
	// may quote anything.
	words := flat
	if r.diag != "" {
		words = asciiLower(r.diag)
	}
	class := classify(r.status, r.code, words, fallback)
	if fallback == NotABounce && r.status == "" && r.code == "" {
		// A daemon's mail that says nothing of a failure: words alone
		// ("Postfach fast voll") do not make it one.
		class = NotABounce
	}
	addrs := m.failedRecipients()
	if len(addrs) == 0 {
		a := firstAddr(r.diag, own)
		if a == "" {
			a = firstAddr(strings.Join(lines, "\n"), own)
		}
		addrs = []string{a}
	}
	for _, a := range addrs {
		out = append(out, finish(Recipient{Address: a, Status: r.status, Diagnostic: r.diag, Class: class}))
	}
	return out
}

// block is the run of lines about one listed recipient.
type block struct {
	addr  string
	lines []int
}

// addressBlocks groups lines under the address line that precedes them.
// Lines about the same address are merged, as Exchange lists recipients
// twice (once for users, once for administrators) and Postfix repeats the
// address in the wrapped reply.
func addressBlocks(lines []string, own map[string]bool) []block {
	var bs []block
	index := map[string]int{}
	cur := -1
	for i, l := range lines {
		if mm := reAddrLine.FindStringSubmatch(l); mm != nil {
			a := strings.ToLower(mm[1])
			if !own[a] && !isDaemonAddr(a) {
				k, ok := index[a]
				if !ok && len(bs) < maxRecipients {
					k, ok = len(bs), true
					index[a] = k
					bs = append(bs, block{addr: a})
				}
				cur = -1
				if ok {
					cur = k
				}
			}
		}
		if cur >= 0 {
			bs[cur].lines = append(bs[cur].lines, i)
		}
	}
	return bs
}

func blockRecipient(lines []string, b block, fallback Class) Recipient {
	r := findReply(lines, b.lines)
	var all, reason []string
	for _, i := range b.lines {
		all = append(all, lines[i])
		if mm := reAddrLine.FindStringSubmatch(lines[i]); mm == nil || strings.TrimSpace(strings.Trim(strings.TrimSpace(lines[i]), "<>:")) != mm[1] {
			reason = append(reason, lines[i])
		}
	}
	diag := r.diag
	if diag == "" {
		// No reply: the MTA's own words are the diagnostic ("Unrouteable address").
		diag = cleanDiag(strings.Join(reason, " "))
	}
	class := classify(r.status, r.code, asciiLower(strings.Join(all, "\n")), fallback)
	if fallback == NotABounce && r.status == "" && r.code == "" {
		class = NotABounce // as in textRecipients
	}
	return Recipient{Address: b.addr, Status: r.status, Diagnostic: diag, Class: class}
}

// ownAddresses are the addresses in the report's own header: the daemon, the
// list's VERP address it is sent to. They are never the failed recipient.
func (m *message) ownAddresses() map[string]bool {
	own := map[string]bool{}
	for _, k := range []string{"From", "To", "Cc", "Return-Path", "Sender", "Reply-To", "Delivered-To", "X-Original-To"} {
		for _, v := range m.header.Values(k) {
			for _, a := range reAddr.FindAllString(v, 20) {
				own[strings.ToLower(a)] = true
			}
		}
	}
	return own
}

// failedRecipients reads Exim's X-Failed-Recipients header.
func (m *message) failedRecipients() []string {
	var out []string
	for _, v := range m.header.Values("X-Failed-Recipients") {
		for _, a := range reAddr.FindAllString(v, maxRecipients) {
			if len(out) < maxRecipients {
				out = append(out, strings.ToLower(a))
			}
		}
	}
	return out
}

func (m *message) autoReply(subj string) bool {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(m.header.Get("Auto-Submitted"))), "auto-replied") {
		return true
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply", "X-Vacation"} {
		if m.header.Has(k) {
			return true
		}
	}
	if strings.EqualFold(strings.TrimSpace(m.header.Get("Precedence")), "auto_reply") {
		return true
	}
	return containsAny(subj, autoSubjects)
}

func firstAddr(s string, own map[string]bool) string {
	for _, a := range reAddr.FindAllString(s, 50) {
		a = strings.ToLower(a)
		if !own[a] && !isDaemonAddr(a) {
			return a
		}
	}
	return ""
}

func isDaemonAddr(a string) bool {
	local, _, _ := strings.Cut(a, "@")
	return local == "mailer-daemon" || local == "postmaster"
}

func cutOriginal(s string) string {
	if loc := reOriginal.FindStringIndex(s); loc != nil {
		return s[:loc[0]]
	}
	return s
}

func splitLines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, "\r")
	}
	return lines
}

func clipRecipients(rs []Recipient) []Recipient {
	if len(rs) > maxRecipients {
		return rs[:maxRecipients]
	}
	return rs
}
