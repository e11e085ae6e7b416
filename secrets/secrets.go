// Package secrets encrypts and decrypts the files of a host's files/ tree
// with age, so that a repository (and every host's copy of it) holds only
// ciphertext, readable by the one host it is meant for and by the admins.
//
// A file named NAME.age in a host's files/ tree is an age file encrypted
// to that host's SSH host key and to every admin key. The agent decrypts
// it with the host's private host key at install time; the admin side
// (berth secrets) encrypts, edits and re-keys it. Recipients come from
// the repository (see Repo), so adding a host or an admin is a commit.
//
// Errors name the file they are about, never any part of its content.
package secrets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
	"filippo.io/age/agessh"
)

// Suffix marks an encrypted file in a files/ tree: files/etc/x.age is
// installed as /etc/x.
const Suffix = ".age"

// ParseRecipients reads public keys, one a line: SSH public keys
// (ssh-ed25519, ssh-rsa, in authorized_keys form) or native age
// recipients (age1...). Blank lines and lines starting with # are
// skipped. name is the file the keys come from, for errors.
func ParseRecipients(name string, r io.Reader) ([]age.Recipient, error) {
	var out []age.Recipient
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rc, err := parseRecipient(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, n, err)
		}
		out = append(out, rc)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func parseRecipient(line string) (age.Recipient, error) {
	if strings.HasPrefix(line, "age1") {
		return age.ParseX25519Recipient(line)
	}
	if strings.HasPrefix(line, "ssh-ed25519 ") || strings.HasPrefix(line, "ssh-rsa ") {
		return agessh.ParseRecipient(line)
	}
	return nil, errors.New("not an ssh-ed25519, ssh-rsa or age1 public key")
}

// Encrypt streams plaintext from src into dst as an age file for the
// recipients.
func Encrypt(dst io.Writer, src io.Reader, recipients []age.Recipient) error {
	if len(recipients) == 0 {
		return errors.New("no recipients")
	}
	w, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return w.Close()
}

// Decrypt streams the plaintext of the age file read from src into dst.
// name is the file, for errors; a file no identity can open, or one that
// is corrupt or truncated, is an error naming it. On an error part of the
// plaintext may already be in dst: write into a temporary file and drop
// it on failure.
func Decrypt(dst io.Writer, src io.Reader, name string, ids []age.Identity) error {
	r, err := age.Decrypt(src, ids...)
	if err != nil {
		return &DecryptError{Name: name, Err: describe(err)}
	}
	rr := &readErr{r: r}
	if _, err := io.Copy(dst, rr); err != nil {
		if rr.err == nil {
			return fmt.Errorf("%s: write the plaintext: %w", name, err)
		}
		return &DecryptError{Name: name, Err: describe(err)}
	}
	return nil
}

// readErr remembers the error its reader returned, to tell a bad file
// from a failing writer.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// DecryptError says which file could not be decrypted, and why in terms
// that never quote the file.
type DecryptError struct {
	Name string
	Err  error
}

func (e *DecryptError) Error() string { return e.Name + ": cannot decrypt: " + e.Err.Error() }
func (e *DecryptError) Unwrap() error { return e.Err }

// describe turns age's errors into a short reason. age's own messages
// may quote the bytes it could not parse, so they are kept only for
// errors.Is and errors.As, never in the text.
func describe(err error) error {
	var nomatch *age.NoIdentityMatchError
	if errors.As(err, &nomatch) {
		return &reason{"not encrypted to this key (re-key the file for it: berth secrets rekey)", err}
	}
	return &reason{"corrupt or truncated age file", err}
}

// reason is an error whose text is fixed and whose cause stays
// reachable through Unwrap.
type reason struct {
	text  string
	cause error
}

func (r *reason) Error() string { return r.text }
func (r *reason) Unwrap() error { return r.cause }

// Check decrypts the age file read from src and throws the plaintext
// away: it succeeds only when the whole file authenticates.
func Check(src io.Reader, name string, ids []age.Identity) error {
	return Decrypt(io.Discard, src, name, ids)
}

// Equal reports whether the age file read from src decrypts to exactly
// the bytes read from cur, streaming both.
func Equal(src io.Reader, name string, ids []age.Identity, cur io.Reader) (bool, error) {
	cmp := &comparer{cur: cur, same: true}
	if err := Decrypt(cmp, src, name, ids); err != nil {
		return false, err
	}
	if !cmp.same {
		return false, nil
	}
	var one [1]byte
	n, _ := io.ReadFull(cur, one[:])
	return n == 0, nil
}

// comparer is a writer that compares what it is given with cur.
type comparer struct {
	cur  io.Reader
	buf  []byte
	same bool
}

func (c *comparer) Write(p []byte) (int, error) {
	if !c.same {
		return len(p), nil
	}
	if cap(c.buf) < len(p) {
		c.buf = make([]byte, len(p))
	}
	b := c.buf[:len(p)]
	n, _ := io.ReadFull(c.cur, b)
	if n != len(p) || !bytes.Equal(b, p) {
		c.same = false
	}
	return len(p), nil
}
