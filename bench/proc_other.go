//go:build !linux

package main

import "syscall"

// sysProcAttr puts a child in its own process group, so that a Ctrl-C at the
// terminal reaches only the driver, which stops its children in order.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
