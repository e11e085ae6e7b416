package secrets

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"filippo.io/age"
)

// Editor runs an editor on a plaintext file.
type Editor struct {
	// Command is a shell command (as $EDITOR holds it); the file's path
	// is appended as its last argument.
	Command string
	Stdin   io.Reader
	Stdout  io.Writer
	// Stderr also receives the line saying where the plaintext is.
	Stderr io.Writer
}

// Edit lets the admin edit the encrypted file target of host: it is
// decrypted with ids (a missing target starts empty) into a private
// temporary directory (mode 0700, under $XDG_RUNTIME_DIR when set), the
// editor runs on it, and when the editor exits successfully with a
// changed file the content is encrypted again to the host's current
// recipients. The directory is removed in every case, and an interrupt
// while the editor runs does not skip that. It reports whether target
// was written.
func (r Repo) Edit(target, host string, ids []age.Identity, ed Editor) (bool, error) {
	rs, err := r.Recipients(host)
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp(privateTempBase(), "berth-secret-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	plain := filepath.Join(dir, strings.TrimSuffix(filepath.Base(target), Suffix))
	before, existed, err := r.decryptTo(plain, target, ids)
	if err != nil {
		return false, err
	}
	fmt.Fprintf(ed.Stderr, "berth secrets: the plaintext is in %s while you edit; it is removed when the editor exits\n", dir)
	if err := ed.run(plain); err != nil {
		return false, fmt.Errorf("editor: %w; %s left unchanged", err, r.rel(target))
	}
	after, err := hashFile(plain)
	if err != nil {
		return false, err
	}
	if existed && bytes.Equal(before, after) {
		return false, nil
	}
	f, err := os.Open(plain)
	if err != nil {
		return false, err
	}
	defer f.Close()
	return true, writeAtomic(target, func(w io.Writer) error { return Encrypt(w, f, rs) })
}

// decryptTo writes target's plaintext to plain (0600) and returns its
// hash; a missing target gives an empty file.
func (r Repo) decryptTo(plain, target string, ids []age.Identity) ([]byte, bool, error) {
	out, err := os.OpenFile(plain, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	defer out.Close()
	in, err := os.Open(target)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer in.Close()
	h := sha256.New()
	if err := Decrypt(io.MultiWriter(out, h), in, r.rel(target), ids); err != nil {
		return nil, true, err
	}
	return h.Sum(nil), true, out.Close()
}

func hashFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// run starts the editor and waits for it. Interrupts go to the editor
// (it shares the terminal's process group); berth waits for it to exit
// so that it can remove the plaintext.
func (ed Editor) run(file string) error {
	if strings.TrimSpace(ed.Command) == "" {
		return errors.New("no editor: set $VISUAL or $EDITOR")
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	cmd := exec.Command("/bin/sh", "-c", ed.Command+` "$1"`, "sh", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ed.Stdin, ed.Stdout, ed.Stderr
	return cmd.Run()
}

// privateTempBase is where plaintext is kept while it is edited: the
// user's runtime directory (a tmpfs, private to the user) when there is
// one.
func privateTempBase() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d
		}
	}
	return os.TempDir()
}
