package web

import (
	"errors"
	"regexp"
	"strings"

	"listd/internal/lists"
)

// fieldErrors are a form's errors by field name, each a sentence from the
// catalogue. A page shows them all at once, each next to its field and tied to it
// (aria-describedby, aria-invalid), and a summary at the top.
type fieldErrors map[string]string

// germanPostal is a German postal code: five digits.
var germanPostal = regexp.MustCompile(`^[0-9]{5}$`)

// memberFields are the fields of the join and settings forms that pages check
// before the list domain does.
type memberFields struct {
	Address, Name, Postal, Mode string
	CheckAddress                bool // the form has an address field
}

// checkMember checks every field of a member's form and returns the errors of all
// of them, so that a parent corrects everything in one go.
func (s *Server) checkMember(lang string, f memberFields) fieldErrors {
	errs := fieldErrors{}
	if f.CheckAddress {
		if strings.TrimSpace(f.Address) == "" {
			errs["address"] = s.tr(lang, "error_address_missing")
		} else if _, _, err := lists.NormalizeAddress(f.Address); err != nil {
			errs["address"] = s.tr(lang, "error_address")
		}
	}
	if _, err := lists.CleanName(f.Name); err != nil {
		errs["name"] = s.tr(lang, "error_name")
	}
	if p := strings.TrimSpace(f.Postal); p != "" && !germanPostal.MatchString(p) {
		errs["postal"] = s.tr(lang, "error_postal")
	}
	if f.Mode != "" {
		if _, err := lists.ParseMode(f.Mode); err != nil {
			errs["mode"] = s.tr(lang, "error_mode")
		}
	}
	return errs
}

// formError is the list domain's error about one field of a write form: an input
// error that names its sentence (Key); nil for any other error.
func formError(err error) *lists.InputError {
	var ie *lists.InputError
	if errors.As(err, &ie) && ie.Key != "" {
		return ie
	}
	return nil
}

// inputError turns an input error of the list domain into the field it names and
// the page's sentence for it: the sentence the error names, else the page's own for
// the field; the domain's own message is for operators, in English, and never
// reaches a page.
func (s *Server) inputError(lang string, err error) (field, text string, ok bool) {
	var ie *lists.InputError
	if !errors.As(err, &ie) {
		return "", "", false
	}
	if ie.Key != "" && s.cat.Load().Has("page."+ie.Key) {
		return ie.Field, s.tr(lang, ie.Key), true
	}
	key := "error_" + ie.Field
	if errors.Is(err, lists.ErrBanned) {
		key = "error_banned"
	}
	if ie.Field == "" || !s.cat.Load().Has("page."+key) {
		return "", s.tr(lang, "error_input"), true
	}
	return ie.Field, s.tr(lang, key), true
}
