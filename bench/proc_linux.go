package main

import "syscall"

// sysProcAttr puts a child in its own process group (a Ctrl-C at the terminal reaches
// only the driver, which stops its children in order) and has the kernel send it
// SIGTERM should the driver die without cleaning up (SIGKILL, a crash).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
