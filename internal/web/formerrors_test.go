package web

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"listd/internal/lists"
	"listd/internal/token"
	"listd/templates"
)

// TestFieldErrorsOneType: the list domain's one field error type shows on every
// page as it did: the sentence its Key names where it has one (write forms), else the
// page's own sentence for the field, never the operators' English message.
func TestFieldErrorsOneType(t *testing.T) {
	s, err := New(nil, noRender{}, nil, nil, nil, nil, templates.FS(""), Config{Domain: "lists.example.org", Language: "de",
		Logger: slog.New(slog.DiscardHandler), Signer: token.NewSigner([]byte("0123456789abcdef0123456789abcdef"), nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name      string
		err       error
		field     string
		text      string // English
		writeForm bool   // what formError finds
	}{
		{"key", fmt.Errorf("ask: %w", &lists.InputError{Field: "postal", Key: "ask_bad_postal"}), "postal", "A postal code has 5 digits.", true},
		{"field", &lists.InputError{Field: "postal", Msg: `"1": not a postal code`}, "postal",
			"Please enter a German postal code of five digits, for example 10115.", false},
		{"no field", &lists.InputError{Msg: "bad"}, "", s.tr("en", "error_input"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			field, text, ok := s.inputError("en", tt.err)
			if !ok || field != tt.field || text != tt.text {
				t.Errorf("inputError = %q, %q, %v; want %q, %q", field, text, ok, tt.field, tt.text)
			}
			if got := formError(tt.err) != nil; got != tt.writeForm {
				t.Errorf("formError found one: %v, want %v", got, tt.writeForm)
			}
		})
	}
	if formError(errors.New("x")) != nil || formError(&lists.BannedError{List: "kita"}) != nil {
		t.Error("formError took an error that names no sentence")
	}
}
