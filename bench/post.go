package main

import (
	"fmt"
	"mime"
	"strings"
	"time"
)

// germanText is ordinary prose of the kind the lists carry: a parents' council
// writing to a Kita's list. It has umlauts and ß, so the body is 8-bit UTF-8.
const germanText = `Liebe Eltern,

nach den Sommerferien möchten wir Sie herzlich zum ersten Elternabend des neuen
Kita-Jahres einladen. Er findet am Donnerstag, dem 18. September, um 19:30 Uhr
im großen Gruppenraum der Kita Sonnenblume statt. Bitte bringen Sie Hausschuhe
mit oder ziehen Sie am Eingang die bereitgelegten Überzieher an, damit die Böden
sauber bleiben, auf denen die Kinder am nächsten Morgen wieder spielen.

Auf der Tagesordnung stehen diesmal einige Punkte, die uns allen am Herzen liegen.
Zunächst stellt sich das pädagogische Team vor, denn seit August verstärken zwei
neue Erzieherinnen und ein Auszubildender unsere Gruppen. Danach berichtet die
Leitung über die Umbauarbeiten im Garten: Der Sandkasten wird erneuert, die alte
Rutsche musste aus Sicherheitsgründen abgebaut werden, und für den Herbst ist ein
Hochbeet geplant, das die Vorschulkinder gemeinsam mit dem Hausmeister bepflanzen.

Ein weiterer Punkt ist die Wahl des Elternbeirats. Aus jeder Gruppe werden zwei
Vertreterinnen oder Vertreter gewählt; wer Interesse hat, kann sich gern vorab bei
uns melden oder sich am Abend spontan zur Wahl stellen. Die Arbeit im Beirat ist
nicht aufwendig: Wir treffen uns etwa alle sechs Wochen, planen Feste, sammeln
Anregungen und vermitteln, wenn es einmal Unstimmigkeiten gibt. Gerade Eltern,
deren Kinder neu in der Einrichtung sind, bringen oft einen frischen Blick mit.

Außerdem möchten wir über das Mittagessen sprechen. Mehrere Familien haben sich
mehr vegetarische Gerichte und weniger Zucker beim Nachtisch gewünscht. Der
Caterer hat angeboten, einen neuen Speiseplan vorzustellen und Kostproben
mitzubringen. Wenn Ihr Kind eine Allergie oder Unverträglichkeit hat, die der
Küche noch nicht bekannt ist, teilen Sie uns das bitte bis Ende der Woche mit.

Zum Schluss geht es um Fahrgemeinschaften für den Ausflug in den Wildpark im
Oktober. Wir suchen noch Eltern, die mit dem Auto fahren und Kindersitze haben,
sowie Begleitpersonen für die Bahnfahrt. Eine Liste zum Eintragen hängt ab Montag
an der Pinnwand neben der Garderobe. Die Kosten für den Eintritt übernimmt der
Förderverein, damit kein Kind aus finanziellen Gründen zu Hause bleiben muss.

Für die Kinderbetreuung während des Elternabends ist gesorgt: Zwei Jugendliche
aus dem Nachbarschaftszentrum spielen im Bewegungsraum mit den Geschwisterkindern.
Bitte melden Sie Ihre Kinder dafür bis Mittwoch an, damit wir genug Getränke und
Obst bereitstellen können. Für die Erwachsenen gibt es Tee, Kaffee und, wie jedes
Jahr, den berühmten Apfelkuchen von Frau Özdemir.

Wer an dem Abend verhindert ist, findet das Protokoll eine Woche später im Archiv
dieser Liste. Fragen, Wünsche und Themen für die Tagesordnung nehmen wir gern per
Antwort auf diese Nachricht entgegen; bitte denken Sie daran, dass Antworten an
die ganze Liste gehen. Persönliche Anliegen schreiben Sie besser direkt an die
Leitung oder an eine von uns.

Wir freuen uns auf einen lebendigen Austausch und auf viele bekannte und neue
Gesichter. Bis dahin wünschen wir Ihnen und Ihren Kindern einen guten Start in
den Herbst, ruhige Nächte und möglichst wenige Erkältungen.

Herzliche Grüße
Petra Schäfer und Jürgen Weiß
für den Elternbeirat der Kita Sonnenblume

P.S. Der Schlüssel für den Fahrradkeller ist wieder aufgetaucht; er lag im
Fundkorb zwischen Matschhosen, Mützen und einem einzelnen Gummistiefel.
`

// benchPost returns a text/plain post of at most size bytes (as close as whole words
// allow), with CRLF line ends, from poster to the list address.
func benchPost(size int, from, to string, now time.Time) []byte {
	var h strings.Builder
	fmt.Fprintf(&h, "From: %s <%s>\r\n", mime.QEncoding.Encode("utf-8", "Petra Schäfer"), from)
	fmt.Fprintf(&h, "To: %s\r\n", to)
	fmt.Fprintf(&h, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "Einladung zum Elternabend am 18. September – Tagesordnung und Fahrgemeinschaften"))
	fmt.Fprintf(&h, "Date: %s\r\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&h, "Message-ID: <bench-%d@example.net>\r\n", now.UnixNano())
	h.WriteString("MIME-Version: 1.0\r\n")
	h.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	h.WriteString("Content-Transfer-Encoding: 8bit\r\n")
	h.WriteString("\r\n")
	head := h.String()

	// The body: the text, repeated if it must be, cut at the last line or word that
	// still fits.
	room := size - len(head)
	var body strings.Builder
	lines := strings.Split(strings.TrimRight(germanText, "\n"), "\n")
	for i := 0; body.Len() < room; i++ {
		line := lines[i%len(lines)] + "\r\n"
		if body.Len()+len(line) <= room {
			body.WriteString(line)
			continue
		}
		// The last line: as many words as fit.
		words := strings.Fields(lines[i%len(lines)])
		var part string
		for _, w := range words {
			next := w
			if part != "" {
				next = part + " " + w
			}
			if body.Len()+len(next)+2 > room {
				break
			}
			part = next
		}
		if part != "" {
			body.WriteString(part + "\r\n")
		}
		break
	}
	return []byte(head + body.String())
}
