package counsel

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PostalCodeIn finds the postal code in the text of a request (a mail to beratung@,
// a search box): the first standalone five-digit number (German codes, also with the
// old "D-") that the geo table knows, else the first such number at all (Match ranks
// an unknown code by its prefix). Years, house numbers and phone numbers are skipped
// by their length, by the '/' or '-' joining them, or because the geo table lacks them
// while another number is in it.
func (d *Directory) PostalCodeIn(text string) (string, bool) {
	first := ""
	for i := 0; i < len(text); {
		if !isDigitByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigitByte(text[j]) {
			j++
		}
		// "D-10115" is a postal code; "030-12345" and "030/12345" are phone numbers.
		dPrefix := i >= 2 && text[i-1] == '-' && text[i-2] == 'D' && (i == 2 || !isWordByte(text[i-3]))
		startOK := i == 0 || dPrefix || !isWordByte(text[i-1]) && text[i-1] != '-' && text[i-1] != '/'
		standalone := startOK && (j == len(text) || !isWordByte(text[j]) && text[j] != '-' && text[j] != '/')
		if code := text[i:j]; standalone && len(code) == 5 && !strings.HasPrefix(code, "00") {
			if len(d.places) == 0 {
				return code, true
			}
			if _, ok := d.codes[placeKey{d.country, code}]; ok {
				return code, true
			}
			if first == "" {
				first = code
			}
		}
		i = j
	}
	return first, first != ""
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// isWordByte: letters and digits (and any byte of a multibyte letter) join a number
// to a word, as in "Zimmer12345" or a phone number "030-12345".
func isWordByte(c byte) bool { return isDigitByte(c) || isLetter(c) || c >= 0x80 }

// TopicsIn finds the topics a request's text names, in the directory's order. A word
// matches a topic it equals after FoldTopic, or one of at least four letters it starts
// with: German compounds name their topic first ("Unterhaltsvorschuss", "Kitaplatz").
func (d *Directory) TopicsIn(text string) []string {
	folded := FoldTopic(text)
	var out []string
	for id, name := range d.topicNames {
		key := FoldTopic(name)
		if key == "" {
			continue
		}
		for off := 0; ; {
			i := strings.Index(folded[off:], key)
			if i < 0 {
				break
			}
			i += off
			end := i + len(key)
			startOK := i == 0 || !isLetterOrDigitBefore(folded, i)
			endOK := end == len(folded) || len(key) >= 4 || !isLetterOrDigitAt(folded, end)
			if startOK && endOK {
				out = append(out, d.topicNames[id])
				break
			}
			off = i + 1
		}
	}
	return out
}

func isLetterOrDigitBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isLetterOrDigitAt(s string, i int) bool {
	for _, r := range s[i:] {
		return unicode.IsLetter(r) || unicode.IsDigit(r)
	}
	return false
}
