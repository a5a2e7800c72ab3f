package lists

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoAdapterImports: the list domain knows nothing of SMTP servers, HTTP or IMAP
// (ARCHITECTURE.md); content sniffing is imagemeta's.
func TestNoAdapterImports(t *testing.T) {
	forbidden := map[string]bool{"net/http": true, "net/smtp": true, "listd/internal/web": true,
		"listd/internal/smtp": true, "listd/internal/imap": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); forbidden[p] {
				t.Errorf("%s imports %s", name, p)
			}
		}
	}
}
