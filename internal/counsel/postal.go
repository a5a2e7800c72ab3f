package counsel

import (
	"strings"
)

// NormalizePostalCode is a postal code as stored and compared: trimmed, single
// spaces, upper case, and without the old German "D-" or "DE-" prefix.
func NormalizePostalCode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), " "))
	for _, p := range []string{"DE-", "D-", "DE ", "D "} {
		if rest, ok := strings.CutPrefix(s, p); ok && isDigits(rest) {
			return rest
		}
	}
	return s
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkPostalCode says what is wrong with a normalised postal code of country, or "".
// German codes have five digits; a spreadsheet that took them for numbers drops the
// leading 0 of codes in Saxony and Thuringia, so four digits get a hint.
func checkPostalCode(code, country string) *problem {
	if code == "" {
		return newProblem(ProblemPostalEmpty)
	}
	if country == "DE" {
		switch {
		case len(code) == 4 && isDigits(code):
			return newProblem(ProblemPostalFourDigits, code, code)
		case len(code) != 5 || !isDigits(code):
			return newProblem(ProblemPostalGerman, code)
		case strings.HasPrefix(code, "00"):
			return newProblem(ProblemPostalGerman00, code)
		}
		return nil
	}
	n := 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; {
		case c >= '0' && c <= '9', c >= 'A' && c <= 'Z':
			n++
		case (c == ' ' || c == '-') && i > 0 && i < len(code)-1:
		default:
			return newProblem(ProblemPostalChars, code)
		}
	}
	if n < 3 || n > 10 {
		return newProblem(ProblemPostalLength, code)
	}
	return nil
}

// parseCountry reads a country cell: an ISO 3166 alpha-2 code, or the German or
// English name of a neighbouring country. Empty is Germany.
func parseCountry(s string) (string, bool) {
	switch FoldTopic(s) {
	case "", "de", "deu", "deutschland", "germany":
		return "DE", true
	case "at", "aut", "osterreich", "austria":
		return "AT", true
	case "ch", "che", "schweiz", "switzerland":
		return "CH", true
	case "lu", "lux", "luxemburg", "luxembourg":
		return "LU", true
	case "li", "lie", "liechtenstein":
		return "LI", true
	}
	s = strings.TrimSpace(s)
	if len(s) == 2 && isLetter(s[0]) && isLetter(s[1]) {
		return strings.ToUpper(s), true
	}
	return "", false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// sharedPrefix is the number of leading bytes a and b have in common.
func sharedPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
