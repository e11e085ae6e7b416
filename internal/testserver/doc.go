// Package testserver runs real servers for tests: git repositories served
// over smart HTTP (git http-backend) and SSH (OpenSSH sshd with
// git-shell), and a chrooted SFTP server (sshd with internal-sftp).
//
// Every server listens on 127.0.0.1 on a free port and is stopped by
// t.Cleanup. Nothing here is a mock: clients talk to the same programs a
// production remote runs.
//
// The SSH-based servers need root: sshd must start as root to change
// user and chroot, and StartSFTP creates system users (see sftp.go).
// When not running as root they end the test through testenv.Root:
// a skip on a developer's machine, a failure in the full suite.
package testserver
