package mailmsg

import "github.com/jhillyerd/enmime/v2/mediatype"

// ParseMediaType parses a Content-Type or Content-Disposition value as leniently as
// mail readers do (enmime's parser, the one place listd uses it): a missing ";"
// before the parameters, a parameter given twice, unquoted special characters and
// line breaks are forgiven, and parameters that stay unreadable are dropped. The
// media type and the parameter names come lower-cased, as from mime.ParseMediaType,
// which does the final parse (RFC 2231 values included). A value without a media
// type returns "" and no error.
func ParseMediaType(v string) (mediaType string, params map[string]string, err error) {
	mt, params, _, err := mediatype.Parse(v)
	return mt, params, err
}
