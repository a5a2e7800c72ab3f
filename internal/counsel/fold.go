package counsel

import "listd/internal/textfold"

// FoldTopic is the key topics are compared by (textfold.Topic): lower case, single
// spaces, accents dropped, ß as ss, and the transliterations ae, oe, ue read as a, o,
// u. So "Schüler", "Schueler" and "schuler" are one topic, whichever way a keyboard
// (or a mail client) wrote it. The folding is lossy, but it is applied to both sides
// of every comparison and topic words do not collide under it.
func FoldTopic(s string) string {
	return textfold.Fold(s, textfold.Topic)
}

// foldHeader is the key a header cell is recognised by (textfold.Header): FoldTopic
// without spaces, '-', '_' or '.', so "Postal code", "postal_code" and "E-Mail"
// match.
func foldHeader(s string) string {
	return textfold.Fold(s, textfold.Header)
}
