package imap

import (
	"errors"

	"github.com/emersion/go-sasl"
)

// loginServer is the server side of the SASL LOGIN mechanism (draft-murchison-sasl-login):
// the user name and the password, each asked for in turn. go-sasl has only its client.
type loginServer struct {
	auth     func(username, password string) error
	step     int
	username string
}

var _ sasl.Server = (*loginServer)(nil)

func (l *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch l.step {
	case 0:
		if response == nil {
			l.step = 1
			return []byte("Username:"), false, nil
		}
		// An initial response (SASL-IR) is the user name.
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		l.username, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.auth(l.username, string(response))
	}
	return nil, false, errors.New("sasl login: unexpected response")
}
