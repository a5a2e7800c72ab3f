package bounce

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// lineEndings gives the sample as stored and with the other line ending, so
// every sample is checked both as received over SMTP and as stored on disk.
func lineEndings(b []byte) map[string][]byte {
	lf := bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return map[string][]byte{"lf": lf, "crlf": bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n"))}
}

func TestParseSamples(t *testing.T) {
	tests := []struct {
		file   string
		format string
		class  Class
		status string // of the first recipient with the report's class
		addr   string
		n      int // recipients
	}{
		{"postfix_dsn_511.eml", "dsn", Hard, "5.1.1", "anna@example.com", 1},
		{"postfix_dsn_soft_422.eml", "dsn", Soft, "4.2.2", "carla@example.net", 1},
		{"postfix_dsn_delayed.eml", "dsn", NotABounce, "", "", 1},
		{"exim_permanent.eml", "exim", Hard, "5.1.1", "emil@example.co.uk", 1},
		{"exim_delay.eml", "exim", NotABounce, "", "", 0},
		{"yahoo_dmarc_579.eml", "exim", DMARC, "5.7.9", "fritz@yahoo.com", 1},
		{"gmx_quota.eml", "exim", Soft, "", "hanna@gmx.de", 1},
		{"qmail.eml", "qmail", Hard, "5.1.1", "ida@example.net", 2},
		{"qmail_queue_too_long.eml", "qmail", Hard, "4.3.2", "kai@example.net", 1},
		{"sendmail.eml", "sendmail", Hard, "5.1.1", "lena@example.edu", 1},
		{"lf_only_postfix_text.eml", "postfix", Hard, "5.1.1", "max@example.org", 1},
		{"exchange_ndr_dsn.eml", "dsn", Hard, "5.1.10", "nora@contoso.com", 1},
		{"exchange_text_dmarc.eml", "exchange", DMARC, "5.7.509", "olaf@fabrikam.com", 1},
		{"gmail_dsn_511.eml", "dsn", Hard, "5.1.1", "paul.beispiel@gmail.com", 1},
		{"gmail_dmarc_5726.eml", "dsn", DMARC, "5.7.26", "quirin@gmail.com", 1},
		{"gmail_text.eml", "gmail", Hard, "5.1.1", "rosa@example.com", 1},
		{"german_unzustellbar.eml", "generic", Hard, "5.1.1", "greta.beispiel@web.de", 1},
		{"relay_denied_571.eml", "dsn", Hard, "5.7.1", "sven@example.net", 1},
		{"vacation.eml", "", NotABounce, "", "", 0},
		{"outlook_autoreply.eml", "", NotABounce, "", "", 0},
		{"dsn_delivered.eml", "dsn", NotABounce, "", "", 1},
		{"human_reply.eml", "", NotABounce, "", "", 0},
		{"postmaster_notice.eml", "", NotABounce, "", "", 0},
		{"truncated_multipart.eml", "dsn", Hard, "5.1.1", "yara@example.com", 1},
		{"garbled_boundary.eml", "dsn", Hard, "5.2.1", "zoe@example.org", 1},
		{"dsn_multi.eml", "dsn", DMARC, "5.7.1", "ab@gmail.com", 2},
		{"text_dsn.eml", "dsn", Hard, "5.1.1", "adam@example.at", 1},
		{"forwarded_dsn.eml", "dsn", Hard, "5.1.1", "anna.beispiel@example.net", 1},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		for name, in := range lineEndings(raw) {
			t.Run(tt.file+"/"+name, func(t *testing.T) {
				rep, err := Parse(in)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if rep.Format != tt.format || rep.Class() != tt.class || len(rep.Recipients) != tt.n {
					t.Fatalf("got format %q class %v, %d recipients %+v; want %q %v, %d",
						rep.Format, rep.Class(), len(rep.Recipients), rep.Recipients, tt.format, tt.class, tt.n)
				}
				if tt.class == NotABounce {
					return
				}
				var got Recipient
				for _, r := range rep.Recipients {
					if r.Class == tt.class {
						got = r
						break
					}
				}
				if got.Status != tt.status || got.Address != tt.addr {
					t.Errorf("recipient %+v; want status %q address %q", got, tt.status, tt.addr)
				}
				if got.Diagnostic == "" {
					t.Errorf("recipient %+v has no diagnostic", got)
				}
				checkReport(t, rep)
			})
		}
	}
	// Every sample is in the table; the fuzz seeds rely on them being valid.
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s is not in the table", f)
		}
	}
}

// TestParseDetails pins fields that the table does not show.
func TestParseDetails(t *testing.T) {
	read := func(name string) *Report {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	tests := []struct {
		file   string
		i      int
		action string
		diag   string
	}{
		{"postfix_dsn_511.eml", 0, "failed", "550 5.1.1 <anna@example.com>: Recipient address rejected: User unknown in virtual mailbox table"},
		{"postfix_dsn_delayed.eml", 0, "delayed", "connect to mx.example.org[203.0.113.9]:25: Connection timed out"},
		{"gmail_dmarc_5726.eml", 0, "failed", "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain if this was a legitimate mail. To learn about the DMARC initiative, go to https://support.google.com/mail/?p=DmarcRejection a640c23a62f3a-a5a1781d1b2"}, // clipped at 300 bytes
		{"exchange_text_dmarc.eml", 0, "", "550 5.7.509 Access denied, sending domain [EXAMPLE.NET] does not pass DMARC verification and has a DMARC policy of reject."},
		{"gmail_text.eml", 0, "", "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. Learn more at https://support.google.com/mail/?p=NoSuchUser x12si3456789wrb.123 - gsmtp"},
		{"lf_only_postfix_text.eml", 0, "", "550 5.1.1 <max@example.org>: Recipient address rejected: User unknown in local recipient table (in reply to RCPT TO command)"},
		{"sendmail.eml", 0, "", "550 5.1.1 <lena@example.edu>... User unknown"},
		{"qmail.eml", 1, "", "Sorry, I couldn't find any host named example.invalid. (#5.1.2)"},
		{"gmx_quota.eml", 0, "", "552 Requested mail action aborted: exceeded storage allocation"},
		{"dsn_multi.eml", 1, "failed", "452 4.2.2 Mailbox full"},
	}
	for _, tt := range tests {
		rep := read(tt.file)
		if tt.i >= len(rep.Recipients) {
			t.Errorf("%s: %d recipients", tt.file, len(rep.Recipients))
			continue
		}
		r := rep.Recipients[tt.i]
		if r.Action != tt.action || r.Diagnostic != tt.diag {
			t.Errorf("%s[%d]: action %q diagnostic\n%q\nwant %q\n%q", tt.file, tt.i, r.Action, r.Diagnostic, tt.action, tt.diag)
		}
	}
	if r := read("qmail.eml").Recipients[1]; r.Address != "jonas@example.invalid" || r.Status != "5.1.2" || r.Class != Hard {
		t.Errorf("qmail second recipient %+v", r)
	}
	if r := read("dsn_multi.eml").Recipients[1]; r.Address != "cd@example.net" || r.Class != Soft {
		t.Errorf("dsn_multi second recipient %+v", r)
	}
}

// TestParseInline covers cases too small to deserve a sample file.
func TestParseInline(t *testing.T) {
	const daemon = "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
	tests := []struct {
		name   string
		in     string
		format string
		class  Class
		status string
		addr   string
	}{
		{"exim two recipients, quota and unrouteable",
			daemon + "Subject: Mail delivery failed: returning message to sender\n\n" +
				"This message was created automatically by mail delivery software.\n\n" +
				"  a@example.com\n    SMTP error from remote mail server after RCPT TO:<a@example.com>:\n    552 5.2.2 <a@example.com>: Mailbox full\n" +
				"  b@example.com\n    Unrouteable address\n",
			"exim", Hard, "", "b@example.com"},
		{"office 365 text without reply code",
			"From: Microsoft Outlook <MicrosoftExchange329e@contoso.onmicrosoft.com>\nSubject: Undeliverable: hi\n\n" +
				"Your message to user@contoso.com couldn't be delivered.\n\nuser wasn't found at contoso.com.\n",
			"generic", Hard, "", "user@contoso.com"},
		{"exchange 2003",
			"From: postmaster@example.com\nSubject: Undeliverable: Test\n\n" +
				"Your message did not reach some or all of the intended recipients.\n\n" +
				"The following recipient(s) cannot be reached:\n\n      user@example.com on 1/1/2010 10:00 AM\n" +
				"            The e-mail account does not exist at the organization this message was sent to.\n            <mail.example.com #5.1.1>\n",
			"exchange", Hard, "5.1.1", "user@example.com"},
		{"gmail text, new wording",
			"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Failure)\n\n" +
				"** Address not found **\n\nYour message wasn't delivered to paul@example.com because the address couldn't be found.\n\n" +
				"The response from the remote server was:\n550 5.1.1 <paul@example.com>: Recipient address rejected: User unknown\n",
			"gmail", Hard, "5.1.1", "paul@example.com"},
		{"gmail delay",
			"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Delay)\n\n" +
				"Delivery to the following recipient has been delayed:\n\n     x@example.com\n",
			"generic", NotABounce, "", ""},
		{"failure whose original subject says delayed",
			daemon + "Subject: Undeliverable: Elternabend delayed\n\n" +
				"Delivery has failed to these recipients or groups:\n\nx@example.com\nRemote Server returned '550 5.1.1 User unknown'\n",
			"exchange", Hard, "5.1.1", "x@example.com"},
		{"sendmail delay warning",
			daemon + "Subject: Warning: could not send message for past 4 hours\n\n" +
				"    **********************************************\n    **      THIS IS A WARNING MESSAGE ONLY      **\n" +
				"   ----- Transcript of session follows -----\n451 4.4.1 reply: read error from mx.example.com.\n",
			"sendmail", NotABounce, "", ""},
		{"header only, X-Failed-Recipients",
			daemon + "Subject: Undeliverable\nX-Failed-Recipients: zz@example.com\n",
			"generic", Soft, "", "zz@example.com"},
		{"german words only",
			daemon + "Subject: =?iso-8859-1?q?Unzustellbar=3A_Test?=\n\nDer Empf\xe4nger x@example.de ist unbekannt.\n",
			"generic", Hard, "", "x@example.de"},
		{"german latin-1 greylisting",
			daemon + "Subject: Nicht zustellbar\nContent-Type: text/plain; charset=iso-8859-1\n\n" +
				"Die folgenden Empf\xe4nger konnten nicht erreicht werden:\n\n<x@example.de>:\n450 4.7.1 Greylisting, bitte sp\xe4ter erneut versuchen\n",
			"generic", Soft, "4.7.1", "x@example.de"},
		{"bare 4xx reply",
			daemon + "Subject: Returned mail\n\n<x@example.de>: host mx said: 421 too many connections\n",
			"generic", Soft, "", "x@example.de"},
		{"read receipt",
			"From: Anna <anna@example.com>\nSubject: Read: [kita] Elternabend\nReturn-Path: <>\n" +
				"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n" +
				"--b\nContent-Type: text/plain\n\nYour message was displayed.\n--b\nContent-Type: message/disposition-notification\n\n" +
				"Final-Recipient: rfc822; anna@example.com\nDisposition: manual-action/MDN-sent-manually; displayed\n--b--\n",
			"", NotABounce, "", ""},
		{"deleted unread by hand",
			"From: Anna <anna@example.com>\nSubject: Not read: [kita] Elternabend\nReturn-Path: <>\n" +
				"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n" +
				"--b\nContent-Type: text/plain\n\nYour message was deleted without being read.\n--b\nContent-Type: message/disposition-notification\n\n" +
				"Final-Recipient: rfc822; anna@example.com\nDisposition: manual-action/MDN-sent-manually; deleted\n--b--\n",
			"", NotABounce, "", ""},
		{"sieve reject",
			daemon + "Subject: Automatically rejected mail\nAuto-Submitted: auto-replied (rejected)\n" +
				"Content-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n" +
				"--b\nContent-Type: text/plain\n\nYour message to <x@example.com> was automatically rejected:\nKeine Werbung, danke.\n" +
				"--b\nContent-Type: message/disposition-notification\n\n" +
				"Reporting-UA: mail; Dovecot Mail Delivery Agent\nFinal-Recipient: rfc822; x@example.com\n" +
				"Disposition: automatic-action/MDN-sent-automatically; deleted\n--b--\n",
			"mdn", Soft, "", "x@example.com"},
		{"mbox From line and leading blank lines",
			"\r\nFrom MAILER-DAEMON Tue May 14 08:12:04 2024\n" + daemon + "Subject: failure notice\n\n" +
				"Hi. This is the qmail-send program at mail.example.net.\n\n<ida@example.net>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
			"qmail", Hard, "5.1.1", "ida@example.net"},
		{"x-autoreply from a person",
			"From: Anna <anna@example.com>\nSubject: Urlaub\nX-Autoreply: yes\n\nIch bin im Urlaub.\n",
			"", NotABounce, "", ""},
		{"forwarded bounce from a member",
			"From: Anna <anna@example.com>\nSubject: Fwd: Undelivered Mail Returned to Sender\n\n" +
				"This is the mail system at host x.\n\n<b@example.com>: host mx said: 550 5.1.1 unknown\n",
			"", NotABounce, "", ""},
		{"gateway answering with RE: and a failure at the end",
			"From: gateway@example.fr\nSubject: RE: [kita] Elternabend : non remis (delivery failed)\n\n" +
				"Your message could not be delivered to\nx@example.fr\n",
			"generic", Soft, "", "x@example.fr"},
		{"person replying to a failure notice",
			"From: Anna <anna@example.com>\nSubject: Re: Undeliverable: [kita] Elternabend\n\n" +
				"Your message could not be delivered to x@example.fr, says my mail program.\n",
			"", NotABounce, "", ""},
		{"auto-submitted daemon report in another language",
			"From: Mail Delivery System <Mailer-Daemon@mx.example.ru>\nAuto-Submitted: auto-replied\n" +
				"Subject: =?utf-8?b?0J/QuNGB0YzQvNC+?=\nContent-Type: text/plain; charset=utf-8\n\n" +
				"К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:\n" +
				"  Message was not accepted -- invalid mailbox.\n Local mailbox x@example.ru is unavailable: user not found\n",
			"generic", Hard, "", "x@example.ru"},
		{"daemon returning the message in words not known here",
			daemon + "Subject: =?utf-8?b?6YKu5Lu2?=\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" +
				"sina.com.\n\n<x@sina.com>:\n\n--b\nContent-Type: message/rfc822\n\nSubject: [kita] Elternabend\n\nHallo\n--b--\n",
			"generic", Soft, "", "x@sina.com"},
		{"vacation from a person with the message attached",
			"From: Anna <anna@example.com>\nSubject: Abwesenheit\nAuto-Submitted: auto-replied\nContent-Type: multipart/mixed; boundary=b\n\n" +
				"--b\nContent-Type: text/plain\n\nIch bin bis Montag nicht da.\n--b\nContent-Type: message/rfc822\n\nSubject: x\n\ny\n--b--\n",
			"", NotABounce, "", ""},
		{"daemon mail without a failure",
			"From: postmaster@example.com\nSubject: Your mailbox\n\nPlease read our new policy.\n",
			"", NotABounce, "", ""},
		{"base64 DSN part with x.0.0 status",
			daemon + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\n" +
				"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n" +
				"RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAZXhhbXBsZS5jb20KQWN0aW9uOiBmYWlsZWQKU3RhdHVzOiA1LjAuMApEaWFnbm9zdGljLUNvZGU6IHNtdHA7IDU1MCA1LjEuMSBVc2VyIHVua25vd24K\n--b--\n",
			"dsn", Hard, "5.1.1", "a@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep)
			if rep.Format != tt.format || rep.Class() != tt.class {
				t.Fatalf("got %q %v %+v; want %q %v", rep.Format, rep.Class(), rep.Recipients, tt.format, tt.class)
			}
			var got Recipient
			for _, r := range rep.Recipients {
				if r.Class == tt.class {
					got = r
					break
				}
			}
			if got.Status != tt.status || got.Address != tt.addr {
				t.Errorf("recipient %+v; want status %q address %q", got, tt.status, tt.addr)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		action string
		status string
		diag   string
		want   Class
	}{
		{"user unknown", "failed", "5.1.1", "smtp; 550 5.1.1 <a@b.example>: User unknown", Hard},
		{"mailbox full 4xx", "failed", "4.2.2", "smtp; 452 4.2.2 Mailbox full", Soft},
		{"mailbox full 5.2.2", "failed", "5.2.2", "smtp; 552 5.2.2 Mailbox full", Soft},
		{"over quota without code", "failed", "5.0.0", "smtp; 552 Requested mail action aborted: user is over quota", Soft},
		{"greylisted", "failed", "", "smtp; 451 Greylisted, please try again later", Soft},
		{"delayed", "delayed", "4.4.1", "X-Postfix; connect timed out", NotABounce},
		{"delivered", "delivered", "2.0.0", "smtp; 250 2.0.0 Ok", NotABounce},
		{"relayed", "relayed", "2.0.0", "", NotABounce},
		{"expanded", "expanded", "2.0.0", "", NotABounce},
		{"failed without status", "failed", "", "", Hard},
		{"no action, no status", "", "", "", NotABounce},
		{"status from diagnostic", "failed", "", "smtp; 550 No such user here", Hard},
		{"x.0.0 refined by diagnostic", "failed", "5.0.0", "smtp; 550 5.7.26 Unauthenticated email is not accepted", DMARC},
		{"relaying denied", "failed", "5.7.1", "smtp; 554 5.7.1 <a@b.example>: Relay access denied", Hard},
		{"user does not accept mail", "failed", "5.7.1", "smtp; 550 5.7.1 This user does not accept mail from this sender policy", Hard},
		{"5.7.1 blocklist policy", "failed", "5.7.1", "smtp; 550 5.7.1 Service unavailable; client host blocked by local policy", Hard},
		{"5.7.1 dmarc", "failed", "5.7.1", "smtp; 550 5.7.1 Email rejected due to DMARC policy", DMARC},
		{"5.7.1 spf", "failed", "5.7.1", "smtp; 550 5.7.1 SPF check failed for example.com", DMARC},
		{"5.7.26", "failed", "5.7.26", "smtp; 550-5.7.26 This mail is unauthenticated", DMARC},
		{"5.7.509", "failed", "5.7.509", "smtp; 550 5.7.509 Access denied", DMARC},
		{"5.7.25 ptr", "failed", "5.7.25", "smtp; 550 5.7.25 The IP address sending this message does not have a PTR record", DMARC},
		{"5.7.9 policy", "failed", "5.7.9", "smtp; 554 5.7.9 Message not accepted for policy reasons", DMARC},
		{"5.7.515 authentication", "failed", "5.7.515", "smtp; 550 5.7.515 Access denied, sending domain doesn't meet the required authentication level", DMARC},
		{"5.7.x spam", "failed", "5.7.350", "smtp; 550 5.7.350 Remote server returned message detected as spam", Hard},
		{"dmarc without enhanced code", "failed", "", "smtp; 550 Rejected by DMARC", DMARC},
		{"dmarc words but user unknown", "failed", "5.1.1", "smtp; 550 5.1.1 user unknown (dmarc=pass)", Hard},
		{"4xx dmarc stays soft", "failed", "4.7.26", "smtp; 421 4.7.26 Unauthenticated email, DMARC", Soft},
		{"unknown action word", "failure", "", "", Hard},
		{"auth results are no dmarc wording", "failed", "5.7.1", "smtp; 550 5.7.1 Blocked; Authentication-Results: dmarc=pass dkim=pass spf=pass", Hard},
		{"dkim signature is no dkim wording", "failed", "5.7.0", "smtp; 550 5.7.0 Spam (DKIM-Signature checked, dmarc=pass)", Hard},
		{"5.7.1 dkim failure", "failed", "5.7.1", "smtp; 550 5.7.1 DKIM verification failed", DMARC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, code, diag := dsnStatus(fieldGroup{"status": tt.status, "diagnostic-code": tt.diag})
			if got := classifyDSN(tt.action, status, code, asciiLower(diag)); got != tt.want {
				t.Errorf("got %v, want %v (status %q code %q)", got, tt.want, status, code)
			}
		})
	}
}

func TestParseFieldGroups(t *testing.T) {
	in := "Reporting-MTA: dns; mx.example.org\r\n\r\n" +
		"Final-Recipient: rfc822; a@example.org\r\nAction: failed\r\nDiagnostic-Code: smtp; 550 5.1.1\r\n\tuser unknown\r\n" +
		"Final-Recipient: rfc822; b@example.org\r\nAction : delayed\r\nStatus: 4.4.1\r\n"
	got := parseFieldGroups(in)
	if len(got) != 3 {
		t.Fatalf("got %d groups: %v", len(got), got)
	}
	if got[0]["reporting-mta"] != "dns; mx.example.org" {
		t.Errorf("per-message group %v", got[0])
	}
	if got[1]["diagnostic-code"] != "smtp; 550 5.1.1 user unknown" || got[1]["action"] != "failed" {
		t.Errorf("first recipient %v", got[1])
	}
	if got[2]["final-recipient"] != "rfc822; b@example.org" || got[2]["action"] != "delayed" {
		t.Errorf("second recipient %v", got[2])
	}
}

func TestNormalizeAddr(t *testing.T) {
	tests := map[string]string{
		"rfc822; Anna@Example.COM":         "anna@example.com",
		"RFC822;<bob@example.org>":         "bob@example.org",
		"rfc822; carl@example.org (Carl)":  "carl@example.org",
		"utf-8; jöran@example.de":          "jöran@example.de",
		"dora@example.org":                 "dora@example.org",
		"rfc822;":                          "",
		"  ":                               "",
		"x400; /C=DE/ADMD=x/PRMD=y/O=z/":   "/c=de/admd=x/prmd=y/o=z/",
		"rfc822; \"odd;name\"@example.org": "\"odd;name\"@example.org",
	}
	for in, want := range tests {
		if got := normalizeAddr(in); got != want {
			t.Errorf("normalizeAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindEnhanced(t *testing.T) {
	tests := map[string]string{
		"Sorry, no mailbox here by that name. (#5.1.1)": "5.1.1",
		"<mail.example.com #5.1.10>":                    "5.1.10",
		"connect to 10.5.1.1 failed":                    "",
		"Exim 4.97.1 and Postfix 3.5.1":                 "",
		"status 4.2.2.":                                 "4.2.2",
		"5.1.1x":                                        "",
		"version 5.1.1.2 then 5.7.1":                    "5.7.1",
	}
	for in, want := range tests {
		if got := findEnhanced(in); got != want {
			t.Errorf("findEnhanced(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNotMail(t *testing.T) {
	for _, in := range []string{"", "hello world\n", "\x00\x01\x02\x03", "Note: this is just text\n\nbody", " \r\n\r\n"} {
		rep, err := Parse([]byte(in))
		if err == nil || rep != nil {
			t.Errorf("Parse(%q) = %+v, %v; want an error", in, rep, err)
		}
		if errors.Is(err, errInternal) {
			t.Errorf("Parse(%q): %v", in, err)
		}
	}
	// A header alone is a (degenerate) mail message, here a failure of unknown severity.
	rep, err := Parse([]byte("From: MAILER-DAEMON@example.org\nSubject: Undeliverable"))
	if err != nil || rep.Class() != Soft || rep.Recipients[0].Address != "" {
		t.Errorf("header only: %+v, %v", rep, err)
	}
}

func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: MAILER-DAEMON@example.org\r\nSubject: Undeliverable\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	for range 10000 {
		b.WriteString("--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n")
	}
	b.WriteString(strings.Repeat("550 5.1.1 <a@example.com> user unknown\r\n", 50000))
	rep, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep)

	// Many recipients are capped.
	b.Reset()
	b.WriteString("From: MAILER-DAEMON@example.org\r\nContent-Type: multipart/report; boundary=y\r\n\r\n--y\r\nContent-Type: message/delivery-status\r\n\r\n")
	for range 1000 {
		b.WriteString("Final-Recipient: rfc822; a@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n")
	}
	rep, err = Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Recipients) != maxRecipients || rep.Class() != Hard {
		t.Errorf("got %d recipients, class %v", len(rep.Recipients), rep.Class())
	}
}

func TestClassString(t *testing.T) {
	for c, want := range map[Class]string{NotABounce: "NotABounce", Soft: "Soft", Hard: "Hard", DMARC: "DMARC", Class(9): "Class(9)"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(c), got, want)
		}
	}
	var nilReport *Report
	if nilReport.Class() != NotABounce {
		t.Error("nil report is a bounce")
	}
	r := &Report{Recipients: []Recipient{{Class: Soft}, {Class: Hard}, {Class: DMARC}}}
	if r.Class() != Hard {
		t.Errorf("worst of soft, hard, dmarc = %v", r.Class())
	}
	r.Recipients = r.Recipients[2:]
	r.Recipients = append(r.Recipients, Recipient{Class: Soft})
	if r.Class() != DMARC {
		t.Errorf("worst of dmarc, soft = %v", r.Class())
	}
}

// checkReport asserts the invariants every report keeps.
func checkReport(t *testing.T, rep *Report) {
	t.Helper()
	worst := NotABounce
	for _, r := range rep.Recipients {
		if r.Class < NotABounce || r.Class > DMARC {
			t.Fatalf("recipient %+v has an invalid class", r)
		}
		if r.Class.rank() > worst.rank() {
			worst = r.Class
		}
		if len(r.Diagnostic) > maxDiag || strings.ContainsAny(r.Diagnostic, "\r\n") || !utf8.ValidString(r.Diagnostic) {
			t.Fatalf("bad diagnostic %q", r.Diagnostic)
		}
		if strings.ContainsAny(r.Address, " \r\n") || !utf8.ValidString(r.Address) {
			t.Fatalf("bad address %q", r.Address)
		}
	}
	if rep.Class() != worst {
		t.Fatalf("Class() = %v, worst recipient %v", rep.Class(), worst)
	}
	if rep.Class() != NotABounce && len(rep.Recipients) == 0 {
		t.Fatal("a bounce without recipients")
	}
	if len(rep.Recipients) > maxRecipients {
		t.Fatalf("%d recipients", len(rep.Recipients))
	}
}

// TestReadCharsets: subjects and texts in charsets beyond the Latin-1 family are
// read as well (a Russian or Japanese mail server's bounce).
func TestReadCharsets(t *testing.T) {
	raw := "From: MAILER-DAEMON@example.ru\r\n" +
		"Subject: =?koi8-r?b?8NLJ18XU?=\r\n" +
		"Content-Type: text/plain; charset=windows-1251\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"\xcf\xf0\xe8\xe2\xe5\xf2\r\n"
	m, err := readMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.subject != "Привет" {
		t.Errorf("subject = %q", m.subject)
	}
	if len(m.texts) != 1 || !strings.Contains(m.texts[0].body, "Привет") {
		t.Errorf("texts = %+v", m.texts)
	}
}
