//go:build !cgo

package store

// go-sqlite3 is SQLite compiled from C: without cgo it builds a stub that fails at
// run time. This file stops such a build here instead: the compiler names the
// undefined identifier below. Build with CGO_ENABLED=1 and a C compiler (gcc).
var _ = listd_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler
