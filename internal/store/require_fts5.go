//go:build !sqlite_fts5 && !fts5

package store

// listd's search needs SQLite's full-text search (FTS5), which go-sqlite3 compiles in
// only with the sqlite_fts5 build tag. Without it the binary would build and then fail
// at its first start, when the migrations create the search tables. This file stops
// such a build here instead: the compiler names the undefined identifier below.
//
// Build with `make build`, or `go build -tags sqlite_fts5 ./cmd/listd`; test with
// `go test -tags sqlite_fts5 ./...`.
var _ = listd_needs_the_sqlite_fts5_build_tag__use_make_build_or_go_build_tags_sqlite_fts5
