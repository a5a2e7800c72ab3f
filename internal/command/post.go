package command

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// A post is named by its archive id ("withdraw 1234") or by a link to it: its
// permalink BASE/NAME/m/ID (what Archived-At carries), or a thread page with the
// post's anchor, BASE/NAME/t/THREAD#mID.

// maxPostArg bounds the link a withdraw command may carry.
const maxPostArg = 500

// postArg reads the post a withdraw command names: the next word, which PostRef must
// understand; anything after it is ignored.
func postArg(ws []string) (string, bool) {
	if len(ws) == 0 {
		return "", false
	}
	// Mail programs put links in angle brackets; a sentence may end after it.
	arg := strings.TrimRight(strings.Trim(ws[0], "<>\"'()"), trailingPunct+"?")
	arg = strings.TrimPrefix(arg, "#") // "withdraw #1234"
	_, _, ok := PostRef(arg)
	return arg, ok
}

var listNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.]{0,63}$`)

// PostRef reads a post reference: an archive id gives list "" (the list the command
// went to) and the id; a link gives the list named in its path too. ok is false for
// anything else.
func PostRef(s string) (list string, id int64, ok bool) {
	if id, ok := archiveID(s); ok {
		return "", id, true
	}
	if len(s) > maxPostArg {
		return "", 0, false
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", 0, false
	}
	parts := strings.Split(strings.TrimSuffix(u.Path, "/"), "/")
	if len(parts) < 3 {
		return "", 0, false
	}
	name, kind, num := strings.ToLower(parts[len(parts)-3]), parts[len(parts)-2], parts[len(parts)-1]
	if !listNameRE.MatchString(name) {
		return "", 0, false
	}
	switch kind {
	case "m":
		id, ok = archiveID(num)
	case "t":
		// A thread page names one post only by its anchor.
		if _, isThread := archiveID(num); isThread && strings.HasPrefix(u.Fragment, "m") {
			id, ok = archiveID(u.Fragment[1:])
		}
	}
	if !ok {
		return "", 0, false
	}
	return name, id, true
}

// archiveID reads a positive decimal archive id.
func archiveID(s string) (int64, bool) {
	if s == "" || len(s) > 18 || !allDigits(s) {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}
