package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"os"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"listd/internal/archive"
)

// The archive corpus: a counselling forum's mailing list over the years, as an mbox
// that `listd archive import` reads. genCorpus writes it; planCorpus is its thread
// structure alone, which the benchmarks use to pick threads and messages without
// reading the file back.

// corpusList is the list the corpus was written to (To, List-Id).
const corpusList = "forum"

// corpusStart is the date of the first message; messages follow every 2 hours on
// average, so 20,000 span about 4.5 years.
var corpusStart = time.Date(2019, 1, 7, 8, 0, 0, 0, time.UTC)

const (
	corpusMaxThread = 150 // posts
	corpusMaxDepth  = 35  // levels of replies below the first post
)

// corpusPost is one message's place in the corpus.
type corpusPost struct {
	thread int // index of the thread's first post
	parent int // index of the post it answers; -1 for a first post
	depth  int // 0 for a first post
	date   time.Time
}

// planCorpus lays out n messages in threads: thread sizes with a long tail (most
// threads have one to three posts, a few up to corpusMaxThread; thread 0 is one of
// those), replies mostly to the latest post (so chains get deep, up to corpusMaxDepth
// levels), threads running in parallel over days. It is deterministic for seed.
// corpusSpan is the longest time a corpus covers: a message every two hours would
// date most of a large corpus after today (and an import takes a date in the future
// for a wrong one), so larger corpora come closer together.
const corpusSpan = 7 * 365 * 24 * time.Hour

// corpusGap is the mean time between two of n messages: two hours, or less where n
// of them would cover more than corpusSpan.
func corpusGap(n int) time.Duration {
	return min(2*time.Hour, corpusSpan/time.Duration(max(n, 1)))
}

func planCorpus(n int, seed int64) []corpusPost {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x636f72707573))
	type thread struct {
		first, size, want int
		posts             []int
	}
	var active []*thread
	posts := make([]corpusPost, 0, n)
	date := corpusStart
	gap := corpusGap(n)
	for i := 0; i < n; i++ {
		date = date.Add(time.Duration(rng.ExpFloat64() * float64(gap)))
		// A new thread when none is open, or with the chance that keeps about 4.5
		// posts per thread.
		if len(active) == 0 || rng.Float64() < 0.2 {
			want := int(math.Pow(1-rng.Float64(), -1/1.15))
			if i == 0 {
				want = corpusMaxThread // the big one, early, so every size has it
			}
			want = min(max(want, 1), corpusMaxThread)
			posts = append(posts, corpusPost{thread: i, parent: -1, date: date})
			if want > 1 {
				active = append(active, &thread{first: i, size: 1, want: want, posts: []int{i}})
			}
			continue
		}
		// Replies go mostly to the threads opened lately.
		k := len(active) - 1 - min(int(rng.ExpFloat64()*4), len(active)-1)
		t := active[k]
		parent := t.posts[len(t.posts)-1]
		if rng.Float64() < 0.35 {
			parent = t.posts[rng.IntN(len(t.posts))]
		}
		for posts[parent].depth >= corpusMaxDepth {
			parent = posts[parent].parent
		}
		posts = append(posts, corpusPost{thread: t.first, parent: parent, depth: posts[parent].depth + 1, date: date})
		t.posts = append(t.posts, i)
		t.size++
		if t.size >= t.want {
			active = append(active[:k], active[k+1:]...)
		}
	}
	return posts
}

// corpusThreadSizes counts the posts of each thread, by its first post's index.
func corpusThreadSizes(plan []corpusPost) map[int]int {
	sizes := map[int]int{}
	for _, p := range plan {
		sizes[p.thread]++
	}
	return sizes
}

// genCorpus writes n messages to path as an mbox, deterministic for seed: the thread
// structure of planCorpus; German (and some English) text with umlauts, ß and the
// compounds of family-law counselling; encoded-word headers (Q and B); bodies in
// UTF-8 or ISO-8859-1, 8bit, quoted-printable or base64; some multipart/alternative
// with HTML, some attachments (PDF-like and PNG bytes); replies quote their parent;
// Received and DKIM headers as real archives have them. Messages are 2 to 20 KB, a
// few larger.
func genCorpus(path string, n int, seed int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := archive.NewMboxWriter(bw)
	g := &corpusGen{rng: rand.New(rand.NewPCG(uint64(seed), 0x74657874)), plan: planCorpus(n, seed), seed: seed}
	g.firstPara = make([]string, n)
	g.threadLang = map[int]bool{}
	g.threadSubj = map[int]string{}
	for i := range g.plan {
		from, msg := g.message(i)
		if err := w.Write(from, g.plan[i].date, msg); err != nil {
			f.Close()
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type corpusGen struct {
	rng        *rand.Rand
	plan       []corpusPost
	seed       int64
	firstPara  []string       // each post's first paragraph, for quotes
	threadLang map[int]bool   // true: English
	threadSubj map[int]string // the first post's subject
	buf        bytes.Buffer
}

type corpusAuthor struct{ name, addr string }

func (g *corpusGen) author(i int) corpusAuthor {
	// Authors by a fixed hash of the post, a few hundred people, some far more active.
	h := uint64(i)*0x9e3779b97f4a7c15 ^ uint64(g.seed)
	k := int(math.Pow(float64(h%10000)/10000, 2.2) * float64(len(corpusFirst)*len(corpusLast)))
	first, last := corpusFirst[k%len(corpusFirst)], corpusLast[k/len(corpusFirst)%len(corpusLast)]
	addr := strings.ToLower(asciiFold(first) + "." + asciiFold(last) + "@" + corpusDomains[k%len(corpusDomains)])
	return corpusAuthor{first + " " + last, addr}
}

func (g *corpusGen) msgID(i int) string { return corpusMsgID(i, g.seed) }

// corpusMsgID is the Message-ID of post i of the corpus made with seed.
func corpusMsgID(i int, seed int64) string {
	return fmt.Sprintf("%d.%x.corpus%d@%s", i, uint32(uint64(i)*2654435761), seed, corpusDomains[i%len(corpusDomains)])
}

// message renders post i: its envelope sender and bytes (LF line ends).
func (g *corpusGen) message(i int) (string, []byte) {
	p := g.plan[i]
	rng := g.rng
	a := g.author(i)
	english, ok := g.threadLang[p.thread]
	if !ok {
		english = rng.IntN(10) < 3
		g.threadLang[p.thread] = english
	}
	subject := g.threadSubj[p.thread]
	if p.parent < 0 {
		subject = g.subject(english)
		g.threadSubj[i] = subject
	} else if english {
		subject = "Re: " + subject
	} else {
		subject = []string{"Re: ", "AW: ", "Re: "}[rng.IntN(3)] + subject
	}

	// The text: a greeting, the quote of the parent, paragraphs, a closing.
	var body strings.Builder
	if p.parent >= 0 {
		pa := g.author(p.parent)
		if english {
			fmt.Fprintf(&body, "Hi %s,\n\nOn %s, %s wrote:\n", strings.Fields(pa.name)[0], g.plan[p.parent].date.Format("Jan 2, 2006"), pa.name)
		} else {
			fmt.Fprintf(&body, "Hallo %s,\n\nAm %s schrieb %s:\n", strings.Fields(pa.name)[0], g.plan[p.parent].date.Format("02.01.2006"), pa.name)
		}
		for _, line := range wrap(g.firstPara[p.parent], 72) {
			body.WriteString("> " + line + "\n")
		}
		body.WriteString("\n")
	} else if english {
		body.WriteString("Hello everyone,\n\n")
	} else {
		body.WriteString([]string{"Hallo zusammen,\n\n", "Liebe Liste,\n\n", "Hallo in die Runde,\n\n"}[rng.IntN(3)])
	}
	// Sizes: log-normal around 2 KB of text, up to about 16 KB.
	want := int(math.Min(16000, 900+math.Exp(7.0+0.8*rng.NormFloat64())))
	first := true
	for body.Len() < want {
		para := g.paragraph(english, 2+rng.IntN(4))
		if first {
			g.firstPara[i] = para
			first = false
		}
		for _, line := range wrap(para, 72) {
			body.WriteString(line + "\n")
		}
		body.WriteString("\n")
	}
	if english {
		fmt.Fprintf(&body, "Best,\n%s\n", a.name)
	} else {
		fmt.Fprintf(&body, "%s\n%s\n", []string{"Viele Grüße", "Liebe Grüße", "LG", "Herzliche Grüße"}[rng.IntN(4)], a.name)
	}
	if rng.IntN(5) == 0 {
		body.WriteString("\n-- \nGesendet von meinem Telefon. Bitte entschuldigen Sie Tippfehler.\n")
	}
	text := body.String()

	b := &g.buf
	b.Reset()
	g.headers(b, i, a, subject)
	switch r := rng.IntN(100); {
	case r < 7: // an attachment, a few of them large
		boundary := fmt.Sprintf("----=_Part_%d_%d", i, rng.Uint32())
		fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\n\nThis is a multi-part message in MIME format.\n--%s\n", boundary, boundary)
		g.textPart(b, text, english)
		fmt.Fprintf(b, "--%s\n", boundary)
		g.attachment(b, rng.IntN(25) == 0)
		fmt.Fprintf(b, "--%s--\n", boundary)
	case r < 32: // text and HTML
		boundary := fmt.Sprintf("=_alt_%d_%x", i, rng.Uint32())
		fmt.Fprintf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\n\n--%s\n", boundary, boundary)
		g.textPart(b, text, english)
		fmt.Fprintf(b, "--%s\n", boundary)
		b.WriteString("Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n")
		qp := quotedprintable.NewWriter(b)
		qp.Write([]byte(toHTML(text)))
		qp.Close()
		fmt.Fprintf(b, "\n--%s--\n", boundary)
	default:
		g.textPart(b, text, english)
	}
	return a.addr, append([]byte(nil), b.Bytes()...)
}

func (g *corpusGen) headers(b *bytes.Buffer, i int, a corpusAuthor, subject string) {
	rng := g.rng
	p := g.plan[i]
	local := p.date.In(corpusZone)
	host := a.addr[strings.IndexByte(a.addr, '@')+1:]
	fmt.Fprintf(b, "Return-Path: <%s>\n", a.addr)
	for hop := 0; hop < 1+rng.IntN(3); hop++ {
		fmt.Fprintf(b, "Received: from mout%d.%s (mout%d.%s [192.0.2.%d])\n\tby mx.lists.example.org (Postfix) with ESMTPS id %X\n\tfor <%s@lists.example.org>; %s\n",
			hop, host, hop, host, 1+rng.IntN(250), rng.Uint64()&0xffffffffff, corpusList, local.Format(time.RFC1123Z))
	}
	if rng.IntN(2) == 0 {
		sig := make([]byte, 256)
		for k := range sig {
			sig[k] = byte(rng.Uint32())
		}
		fmt.Fprintf(b, "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=2019;\n\tt=%d; h=from:to:subject:date:message-id;\n\tbh=%s;\n\tb=%s\n",
			host, p.date.Unix(), base64.StdEncoding.EncodeToString(sig[:32]), foldBase64(base64.StdEncoding.EncodeToString(sig), "\t  "))
	}
	// Encoded words: Q for most, B for some, as mail programs choose.
	enc := mime.QEncoding
	if rng.IntN(3) == 0 {
		enc = mime.BEncoding
	}
	fmt.Fprintf(b, "From: %s <%s>\n", enc.Encode("utf-8", a.name), a.addr)
	fmt.Fprintf(b, "To: %s@lists.example.org\n", corpusList)
	fmt.Fprintf(b, "Subject: %s\n", enc.Encode("utf-8", subject))
	fmt.Fprintf(b, "Date: %s\n", local.Format(time.RFC1123Z))
	fmt.Fprintf(b, "Message-ID: <%s>\n", g.msgID(i))
	if p.parent >= 0 && rng.IntN(25) != 0 { // some mail programs lose them: threaded by subject
		var refs []int
		for k := p.parent; k >= 0; k = g.plan[k].parent {
			refs = append(refs, k)
		}
		if len(refs) > 12 { // trimmed as mail programs do: the first and the latest
			refs = append(refs[:11:11], refs[len(refs)-1])
		}
		var ids []string
		for k := len(refs) - 1; k >= 0; k-- {
			ids = append(ids, "<"+g.msgID(refs[k])+">")
		}
		fmt.Fprintf(b, "In-Reply-To: <%s>\nReferences: %s\n", g.msgID(p.parent), strings.Join(ids, "\n "))
	}
	fmt.Fprintf(b, "List-Id: Forum <%s.lists.example.org>\n", corpusList)
	fmt.Fprintf(b, "User-Agent: %s\n", corpusAgents[rng.IntN(len(corpusAgents))])
	b.WriteString("MIME-Version: 1.0\n")
}

// writeQP writes a text/plain part of the charset, quoted-printable.
func writeQP(b *bytes.Buffer, charset, text string) {
	b.WriteString("Content-Type: text/plain; charset=" + charset + "\nContent-Transfer-Encoding: quoted-printable\n\n")
	qp := quotedprintable.NewWriter(b)
	qp.Write([]byte(text))
	qp.Close()
	b.WriteString("\n")
}

// textPart writes the plain text part: UTF-8 (8bit, quoted-printable or base64) or,
// for some German posts, ISO-8859-1.
func (g *corpusGen) textPart(b *bytes.Buffer, text string, english bool) {
	switch r := g.rng.IntN(10); {
	case r < 1 && !english:
		// Letters Latin-1 lacks (Ş, ł) become "?", as in mail programs of the time.
		latin, err := encoding.ReplaceUnsupported(charmap.ISO8859_1.NewEncoder()).String(text)
		if err != nil {
			latin = text
		}
		writeQP(b, "iso-8859-1", latin)
	case r < 5:
		writeQP(b, "utf-8; format=flowed", text)
	case r < 7:
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n")
		b.WriteString(foldBase64(base64.StdEncoding.EncodeToString([]byte(text)), ""))
		b.WriteString("\n")
	default:
		b.WriteString("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
		b.WriteString(text)
	}
}

// attachment writes a PDF-like or PNG part, 2 to 30 KB (60 to 250 KB when large).
func (g *corpusGen) attachment(b *bytes.Buffer, large bool) {
	rng := g.rng
	size := 2000 + rng.IntN(28000)
	if large {
		size = 60000 + rng.IntN(190000)
	}
	var data []byte
	var ctype, name string
	if rng.IntN(2) == 0 {
		ctype, name = "application/pdf", []string{"Bescheid.pdf", "Antrag_Unterhaltsvorschuss.pdf", "Schreiben Jugendamt.pdf", "Übersicht Kitaplätze.pdf"}[rng.IntN(4)]
		data = append(data, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n3 0 obj\n<< /Length 4 0 R /Filter /FlateDecode >>\nstream\n"...)
		for len(data) < size-40 {
			data = append(data, byte(rng.Uint32()))
		}
		data = append(data, "\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"...)
	} else {
		ctype, name = "image/png", []string{"foto.png", "Screenshot 2021-03-04.png", "scan_bescheid.png"}[rng.IntN(3)]
		noise := make([]byte, size)
		for k := range noise {
			noise[k] = byte(rng.Uint32())
		}
		data = pngBytes(noise)
	}
	fmt.Fprintf(b, "Content-Type: %s; name=\"%s\"\nContent-Disposition: attachment; filename*=utf-8''%s\nContent-Transfer-Encoding: base64\n\n",
		ctype, mime.QEncoding.Encode("utf-8", name), strings.ReplaceAll(urlEscape(name), " ", "%20"))
	b.WriteString(foldBase64(base64.StdEncoding.EncodeToString(data), ""))
	b.WriteString("\n")
}

// pngBytes wraps data as a PNG file's chunks (signature, IHDR, IDAT, IEND with CRCs).
func pngBytes(data []byte) []byte {
	out := []byte("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, body []byte) {
		out = binary.BigEndian.AppendUint32(out, uint32(len(body)))
		start := len(out)
		out = append(out, typ...)
		out = append(out, body...)
		out = binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(out[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, 640)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 480)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0))
	chunk("IDAT", data)
	chunk("IEND", nil)
	return out
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && c != '%' && c != '\'' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// foldBase64 cuts s into lines of 76 characters, each after prefix but the first.
func foldBase64(s, prefix string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n" + prefix)
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func toHTML(text string) string {
	var b strings.Builder
	b.WriteString("<html><head><meta charset=\"utf-8\"></head><body>\n")
	quote := false
	for _, para := range strings.Split(strings.TrimSpace(text), "\n\n") {
		lines := strings.Split(para, "\n")
		isQuote := strings.HasPrefix(lines[len(lines)-1], "> ")
		if isQuote && !quote {
			b.WriteString("<blockquote type=\"cite\">\n")
		}
		if !isQuote && quote {
			b.WriteString("</blockquote>\n")
		}
		quote = isQuote
		b.WriteString("<p>")
		for k, line := range lines {
			if k > 0 {
				b.WriteString("<br>\n")
			}
			line = strings.TrimPrefix(line, "> ")
			line = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(line)
			b.WriteString(line)
		}
		b.WriteString("</p>\n")
	}
	if quote {
		b.WriteString("</blockquote>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// wrap breaks s into lines of at most width characters (runes) at spaces.
func wrap(s string, width int) []string {
	var lines []string
	var line strings.Builder
	n := 0
	for _, w := range strings.Fields(s) {
		wn := len([]rune(w))
		if n > 0 && n+1+wn > width {
			lines = append(lines, line.String())
			line.Reset()
			n = 0
		}
		if n > 0 {
			line.WriteByte(' ')
			n++
		}
		line.WriteString(w)
		n += wn
	}
	if n > 0 {
		lines = append(lines, line.String())
	}
	return lines
}

func asciiFold(s string) string {
	return strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue", "Ä", "Ae", "Ö", "Oe", "Ü", "Ue", "ß", "ss",
		"ş", "s", "Ş", "S", "ğ", "g", "ı", "i", "ç", "c", "é", "e", "ł", "l").Replace(s)
}

// subject makes a first post's subject.
func (g *corpusGen) subject(english bool) string {
	rng := g.rng
	if english {
		return fill(rng, corpusSubjectsEN[rng.IntN(len(corpusSubjectsEN))], true)
	}
	return fill(rng, corpusSubjectsDE[rng.IntN(len(corpusSubjectsDE))], false)
}

// paragraph makes n sentences of prose.
func (g *corpusGen) paragraph(english bool, n int) string {
	rng := g.rng
	var s []string
	for k := 0; k < n; k++ {
		if english {
			s = append(s, fill(rng, corpusSentencesEN[rng.IntN(len(corpusSentencesEN))], true))
		} else {
			s = append(s, fill(rng, corpusSentencesDE[rng.IntN(len(corpusSentencesDE))], false))
		}
	}
	return strings.Join(s, " ")
}

// fill replaces the slots of a template: {N} a noun (often a compound), {I} an office,
// {C} a city, {M} a month, {D} a number, {W} a rarer word.
func fill(rng *rand.Rand, tmpl string, english bool) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 || i+2 >= len(tmpl) {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		switch tmpl[i+1] {
		case 'N':
			if english {
				b.WriteString(corpusNounsEN[rng.IntN(len(corpusNounsEN))])
			} else {
				b.WriteString(compound(rng))
			}
		case 'I':
			if english {
				b.WriteString(corpusOfficesEN[rng.IntN(len(corpusOfficesEN))])
			} else {
				b.WriteString(corpusOffices[rng.IntN(len(corpusOffices))])
			}
		case 'C':
			b.WriteString(corpusCities[rng.IntN(len(corpusCities))])
		case 'M':
			if english {
				b.WriteString(time.Month(1 + rng.IntN(12)).String())
			} else {
				b.WriteString(corpusMonths[rng.IntN(12)])
			}
		case 'D':
			fmt.Fprintf(&b, "%d", 2+int(rng.ExpFloat64()*30))
		case 'W':
			b.WriteString(rareWord(rng))
		}
		tmpl = tmpl[i+3:]
	}
}

// compound is a noun of family-law counselling: mostly the common ones, else two
// parts joined (Unterhalts+vorschuss, Kita+platz, Umgangs+recht, ...).
func compound(rng *rand.Rand) string {
	if rng.IntN(2) == 0 {
		// Zipf-like: the first ones far more often.
		return corpusCommonNouns[min(int(rng.ExpFloat64()*5), len(corpusCommonNouns)-1)]
	}
	a := corpusHeads[rng.IntN(len(corpusHeads))]
	t := corpusTails[rng.IntN(len(corpusTails))]
	return a + t
}

// rareWord draws from a long tail of made-up but pronounceable words, so that the
// vocabulary grows with the archive as a real one does.
func rareWord(rng *rand.Rand) string {
	k := int(math.Pow(1-rng.Float64(), -1.3)) // Zipf-like rank
	var b strings.Builder
	for first := true; first || k > 0; first = false {
		syl := corpusSyllables[k%len(corpusSyllables)]
		if first {
			syl = strings.ToUpper(syl[:1]) + syl[1:]
		}
		b.WriteString(syl)
		k /= len(corpusSyllables)
	}
	return b.String()
}

var corpusZone = time.FixedZone("CET", 3600)

var corpusFirst = []string{"Anna", "Jürgen", "Ayşe", "Björn", "Käthe", "Lena", "Jörg", "Sören", "Petra", "Mehmet",
	"Sabine", "Thomas", "Özlem", "Günther", "Małgorzata", "Fatma", "Stefan", "Ute", "Jens", "Hülya", "Dörte", "Klaus",
	"Nicole", "René", "Sandra", "Heike", "Marcel", "Tanja", "Michael", "Julia"}

var corpusLast = []string{"Schäfer", "Weiß", "Özdemir", "Müller", "Groß", "Bäcker", "Hölzl", "Krüger", "Yılmaz",
	"Schmidt", "Schneider", "Fischer", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Kowalski", "Şahin", "Köhler"}

var corpusDomains = []string{"example.de", "example.net", "example.org", "example.com"}

var corpusAgents = []string{"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:102.0) Gecko/20100101 Thunderbird/102.3.0",
	"Microsoft Outlook 16.0", "Roundcube Webmail/1.5.2", "K-9 Mail for Android", "Apple Mail (2.3654.120.0.1.13)",
	"Evolution 3.44.4-0ubuntu1"}

var corpusMonths = []string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
	"Oktober", "November", "Dezember"}

var corpusCities = []string{"Köln", "München", "Düsseldorf", "Münster", "Lübeck", "Göttingen", "Würzburg", "Fürth",
	"Osnabrück", "Saarbrücken", "Berlin", "Hamburg", "Leipzig", "Dresden", "Bremen", "Nürnberg", "Essen", "Gießen"}

var corpusOffices = []string{"Jugendamt", "Familiengericht", "Jobcenter", "Familienkasse", "Unterhaltsvorschussstelle",
	"Wohngeldstelle", "Beratungsstelle", "Sozialamt", "Standesamt", "Anwältin", "Kita-Leitung", "Elterngeldstelle"}

var corpusCommonNouns = []string{"Unterhaltsvorschuss", "Kitaplatz", "Umgangsrecht", "Sorgerecht", "Kindergeld",
	"Elterngeld", "Kinderzuschlag", "Wohngeld", "Mehrbedarf", "Unterhalt", "Bürgergeld", "Wechselmodell",
	"Düsseldorfer Tabelle", "Beistandschaft", "Betreuungsunterhalt", "Kita-Gutschein", "Härtefallantrag",
	"Umgangsvereinbarung", "Widerspruch", "Bildungspaket"}

var corpusHeads = []string{"Unterhalts", "Kita", "Umgangs", "Sorge", "Kinder", "Eltern", "Betreuungs", "Wohn",
	"Antrags", "Widerspruchs", "Jugend", "Familien", "Trennungs", "Scheidungs", "Einkommens", "Krippen", "Hort",
	"Schul", "Ferien", "Beratungs", "Vaterschafts", "Mutterschafts", "Wochenend", "Besuchs"}

var corpusTails = []string{"vorschuss", "platz", "recht", "geld", "zuschlag", "bescheid", "frist", "antrag",
	"gutschein", "verfahren", "regelung", "vereinbarung", "termin", "kosten", "beitrag", "zeit", "stelle",
	"nachweis", "pflicht", "anspruch", "gespräch", "tabelle", "erklärung", "liste"}

var corpusOfficesEN = []string{"youth welfare office", "family court", "job centre", "child benefit office",
	"counselling centre", "lawyer", "daycare centre", "housing office"}

var corpusNounsEN = []string{"child support", "daycare place", "visitation rights", "custody", "child benefit",
	"parental allowance", "housing benefit", "maintenance advance", "shared parenting", "application", "deadline",
	"objection", "court hearing", "mediation"}

var corpusSubjectsDE = []string{"{N}: wie lange dauert das?", "Frage zum {N}", "{N} in {C} gesucht",
	"Erfahrungen mit dem {I} in {C}?", "{N} abgelehnt – was nun?", "Hilfe beim {N}", "{I} meldet sich nicht",
	"Neuer {N} ab {M}", "{N} und {N}", "Termin beim {I} wegen {N}", "Wer kennt sich mit {N} aus?",
	"Umzug nach {C}: {N}", "Kurze Frage: {N}", "{N} rückwirkend?", "Streit um {N}"}

var corpusSubjectsEN = []string{"Question about {N}", "{N} in {C}?", "Experiences with the {I} in {C}",
	"{N} refused, what now?", "Help with the {N}", "Moving to {C}: {N}", "Deadline for {N}"}

var corpusSentencesDE = []string{
	"Wir haben den Antrag auf {N} im {M} beim {I} in {C} gestellt.",
	"Seit {D} Wochen warten wir auf den Bescheid, und niemand kann sagen, wie lange es noch dauert.",
	"Kann mir jemand sagen, ob das {I} auch den {N} prüft oder ob ich das selbst nachweisen muss?",
	"Mein Ex-Partner zahlt seit {D} Monaten nichts, deshalb hat uns das {I} zum {N} geraten.",
	"Die Frist für den Widerspruch beträgt einen Monat, danach ist der Bescheid bestandskräftig.",
	"Bei uns in {C} gibt es viel zu wenige Kitaplätze, die Warteliste ist über {D} Namen lang.",
	"Das Umgangsrecht regelt, wann die Kinder beim anderen Elternteil sind, und es gilt auch in den Ferien.",
	"Ich würde mich über Erfahrungsberichte freuen, gerade was den {N} angeht.",
	"Danke für eure Hilfe, das hat mir sehr weitergeholfen, und ich melde mich, wenn ich mehr weiß.",
	"Hat jemand Erfahrung mit der {I} in {C}, oder ist das überall gleich?",
	"Die Beratungsstelle in {C} war sehr freundlich und hat mir beim {N} geholfen.",
	"Nach der Düsseldorfer Tabelle liegt der Mindestunterhalt für die erste Altersstufe bei gut {D}0 Euro.",
	"Beim {N} wird das Kindergeld zur Hälfte angerechnet, das hat mich zuerst verwirrt.",
	"Wichtig ist, dass ihr alle Schreiben aufhebt und Kopien vom {N} macht.",
	"Unsere Tochter ist jetzt {D} Monate alt, und der {N} läuft im {M} aus.",
	"Ich habe gehört, dass das {I} in {C} die Anträge inzwischen auch online annimmt.",
	"Am besten schreibt ihr einen formlosen Antrag, damit die Frist gewahrt ist, und reicht die Unterlagen nach.",
	"Der {N} ist keine Sozialleistung im engeren Sinn, trotzdem wird er bei anderen Leistungen berücksichtigt.",
	"Wir hatten einen Termin beim {I}, aber der wurde kurzfristig abgesagt.",
	"Die Sachbearbeiterin meinte, ohne Nachweis über den {N} könne sie nichts machen.",
	"Ehrlich gesagt verstehe ich den Bescheid nicht, da stehen Zahlen, die ich nirgends wiederfinde.",
	"Vielleicht hilft euch der Hinweis, dass man Akteneinsicht beantragen kann.",
	"Bei der {W} hat man uns erklärt, dass der {N} getrennt zu beantragen ist.",
	"In {C} ist das {I} für den {N} zuständig, nicht die Stadt selbst.",
	"Wir haben uns auf ein Wechselmodell geeinigt, was aber beim {N} zu Rückfragen führte.",
	"Das Familiengericht hat einen Termin im {M} angesetzt, bis dahin gilt die alte Regelung.",
	"Ich kann euch die {W} empfehlen, dort bekommt man auch ohne Termin eine Auskunft.",
	"Mit dem {N} allein kommen wir nicht über den Monat, deshalb haben wir zusätzlich Wohngeld beantragt.",
	"Über den {N} entscheidet am Ende die Behörde, die Beratungsstelle kann nur unterstützen.",
	"Kleiner Tipp: Fragt nach einer Eingangsbestätigung, dann habt ihr etwas in der Hand.",
}

var corpusSentencesEN = []string{
	"We applied for {N} at the {I} in {C} in {M}.",
	"Does anyone know how long the {I} usually takes to decide?",
	"My ex has not paid anything for {D} months, so the {I} suggested the {N}.",
	"The deadline for an objection is one month after the decision arrives.",
	"Daycare places in {C} are really hard to find, the waiting list has more than {D} names.",
	"I would be grateful for any experiences, especially regarding the {N}.",
	"Thanks for your help, it made things much clearer for me.",
	"The counselling centre in {C} was very friendly and helped with the {N}.",
	"Keep copies of every letter and ask for a confirmation of receipt.",
	"At the {W} they told us the {N} has to be applied for separately.",
	"We agreed on shared parenting, which raised questions about the {N}.",
	"The family court scheduled a hearing in {M}, until then the old arrangement applies.",
}

var corpusSyllables = []string{"ber", "ka", "lin", "to", "mar", "schu", "ge", "wald", "sen", "ri", "bur", "fel",
	"han", "dor", "ni", "stein", "mo", "reck", "al", "zu", "tra", "wen", "kel", "po", "ost", "ham", "lu", "vi"}
