// Package templates holds listd's pages and mails, embedded in the binary. A
// development flag may serve them from disk instead (see FS).
package templates

import (
	"embed"
	"io/fs"
	"os"
)

//go:embed pages/*.html static/* mail/*/*.txt messages/*.toml
var embedded embed.FS

// FS returns the templates: from dir on disk when dir is set (for editing without
// rebuilding), else the embedded copy.
func FS(dir string) fs.FS {
	if dir != "" {
		return os.DirFS(dir)
	}
	return embedded
}
