// Package bounce reads delivery failure reports: DSNs (RFC 3464) and the
// common non-DSN formats, and classifies each failed recipient as a hard,
// soft or DMARC failure.
//
// listd sends every copy with a VERP return path, so the caller already knows
// which member a report is about; this package only answers whether the report
// is a failure at all, and how bad it is.
package bounce

import (
	"errors"
	"fmt"
)

// Class is how bad a delivery failure is.
type Class int

const (
	// NotABounce: auto-replies, delivery delays (Action: delayed),
	// success/relayed DSNs, anything without a failure.
	NotABounce Class = iota
	// Soft is a temporary failure: 4.x.x, mailbox full, over quota,
	// greylisted, "try again".
	Soft
	// Hard is a permanent failure: 5.x.x (except the DMARC cases), user
	// unknown, no such domain.
	Hard
	// DMARC is a rejection for the sender domain's DMARC/DKIM/SPF policy
	// (5.7.x with DMARC or policy wording, 5.7.26, 5.7.509, 5.7.1 with
	// "DMARC"): not the member's fault.
	DMARC
)

// String returns the constant's name; callers use it lower-cased as a metric label.
func (c Class) String() string {
	switch c {
	case NotABounce:
		return "NotABounce"
	case Soft:
		return "Soft"
	case Hard:
		return "Hard"
	case DMARC:
		return "DMARC"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// rank orders classes by severity, which is not their numeric order:
// Hard > DMARC > Soft > NotABounce.
func (c Class) rank() int {
	switch c {
	case Hard:
		return 3
	case DMARC:
		return 2
	case Soft:
		return 1
	}
	return 0
}

// Recipient is one recipient named in a report.
type Recipient struct {
	Address    string // Final-Recipient or Original-Recipient (lower-cased, without "rfc822;"), "" if unknown
	Status     string // e.g. "5.1.1"; "" if unknown
	Action     string // failed, delayed, delivered, relayed, expanded (DSN) or ""
	Diagnostic string // Diagnostic-Code or the SMTP reply found in the text, one line, at most 300 bytes
	Class      Class
}

// Report is what Parse found in a message.
type Report struct {
	// Format is the kind of report recognised: "dsn", "exim", "qmail",
	// "postfix", "sendmail", "exchange", "gmail", "generic", "mdn" (a refusal
	// sent as a disposition notification), or "" when the
	// message is no delivery report at all (an auto-reply, a human's mail).
	Format     string
	Recipients []Recipient // at least one when Class() != NotABounce
}

// Class is the worst class among the recipients (Hard > DMARC > Soft > NotABounce).
func (r *Report) Class() Class {
	worst := NotABounce
	if r == nil {
		return worst
	}
	for _, rc := range r.Recipients {
		if rc.Class.rank() > worst.rank() {
			worst = rc.Class
		}
	}
	return worst
}

// errInternal marks a recovered panic; the fuzz test fails on it.
var errInternal = errors.New("bounce: internal error")

// Parse reads a raw message (as received, CRLF or LF). It never panics; it returns an
// error only when the input is not a mail message at all. A message that is not a
// bounce (e.g. a vacation auto-reply or a human's reply) gives a Report whose Class()
// is NotABounce.
func Parse(raw []byte) (rep *Report, err error) {
	// Bounces are attacker-controlled input to a long-running daemon: a bug
	// here must cost one message, not the process.
	defer func() {
		if p := recover(); p != nil {
			rep, err = nil, fmt.Errorf("%w: %v", errInternal, p)
		}
	}()
	m, err := readMessage(raw)
	if err != nil {
		return nil, fmt.Errorf("bounce: parse: %w", err)
	}
	return m.report(), nil
}
