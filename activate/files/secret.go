package files

import (
	"errors"
	"io"
	"os"
	"path"
	"strings"

	"github.com/berth-nix/berth/internal/fault"
	"github.com/berth-nix/berth/secrets"
)

// Decrypter opens the encrypted files of a tree (NAME.age, installed as
// NAME): *secrets.HostKey, with the machine's SSH host key.
type Decrypter interface {
	// DecryptFile streams the plaintext of the age file src into dst.
	// Its errors name the file as name and never quote it.
	DecryptFile(dst io.Writer, src, name string) error
	// EqualFile reports whether src decrypts to what cur holds.
	EqualFile(src, name string, cur io.Reader) (bool, error)
}

// encrypted turns the tree's age files into the paths they install
// (files/etc/x.age is /etc/x, decrypted) and checks, before anything is
// written, that each one decrypts with this host's key, and that no
// plaintext file sits where in.RequireEncrypted asks for encryption.
// Refusals are Stalling and name the file; an unusable host key is
// Transient.
func (in *Installer) encrypted(entries []entry) ([]entry, error) {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Path] = true
	}
	for i, e := range entries {
		name, ok := strings.CutSuffix(e.Path, secrets.Suffix)
		if e.Kind != KindFile || !ok || name == "" || strings.HasSuffix(name, "/") {
			continue
		}
		if have[name] {
			return nil, fault.Stallingf("files%s: both it and files%s are in the tree; keep one", e.Path, name)
		}
		if err := in.checkDecrypts(e); err != nil {
			return nil, err
		}
		entries[i].Path, entries[i].Decrypt = name, in.Decrypt
	}
	return entries, in.checkRequired(entries)
}

func (in *Installer) checkDecrypts(e entry) error {
	if in.Decrypt == nil {
		return fault.Stallingf("files%s: is encrypted, but this agent has no key to decrypt it", e.Path)
	}
	return decryptErr(in.Decrypt.DecryptFile(io.Discard, e.Src, "files"+e.Path))
}

// decryptErr classes a decryption error: a file that cannot be decrypted
// is the revision's fault, a host key that cannot be read the machine's.
func decryptErr(err error) error {
	var ke *secrets.KeyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ke):
		return fault.AsTransient(err)
	}
	return fault.AsStalling(err)
}

// checkRequired refuses a plaintext file where in.RequireEncrypted asks
// for an encrypted one, and a link there that leads to a plaintext file
// of the tree (which would put plaintext at the required path all the
// same).
func (in *Installer) checkRequired(entries []entry) error {
	if len(in.RequireEncrypted) == 0 {
		return nil
	}
	byPath := make(map[string]entry, len(entries))
	for _, e := range entries {
		byPath[e.Path] = e
	}
	for _, e := range entries {
		q := in.required(e.Path)
		if q == "" || e.Kind == KindDir {
			continue
		}
		if f, ok := follow(byPath, e); ok && f.Decrypt == nil {
			return fault.Stallingf("files%s: is not encrypted, and trust.require_encrypted_files (%s) requires it: encrypt %s with berth secrets encrypt", e.Path, q, "files"+f.Path+secrets.Suffix)
		}
	}
	return nil
}

// required returns the entry of in.RequireEncrypted that covers p, or "".
func (in *Installer) required(p string) string {
	for _, q := range in.RequireEncrypted {
		if underOrMatch(p, q) {
			return q
		}
	}
	return ""
}

// follow resolves e through the tree's links (lexically, as they will be
// installed) to the file it shows; false when it leads to no file of the
// tree.
func follow(byPath map[string]entry, e entry) (entry, bool) {
	for range 40 {
		if e.Kind != KindLink {
			return e, e.Kind == KindFile
		}
		next, ok := byPath[path.Join(path.Dir(e.Path), e.Link)]
		if !ok {
			return e, false
		}
		e = next
	}
	return e, false
}

// underOrMatch reports whether the installed path p is at or below q, or
// matches q as a path.Match pattern.
func underOrMatch(p, q string) bool {
	if q == "/" || p == q || strings.HasPrefix(p, q+"/") {
		return true
	}
	ok, _ := path.Match(q, p)
	return ok
}

// samePlaintext says whether cur, the installed file, holds the
// plaintext of the encrypted file w; its errors are classified.
func samePlaintext(w want, cur io.Reader) (bool, error) {
	same, err := w.Decrypt.EqualFile(w.Src, "files"+w.Path+secrets.Suffix, cur)
	return same, decryptErr(err)
}

// copyContent writes the content of src into out, an open file: its
// bytes, or, when w is an encrypted file, its plaintext, decrypted
// straight into out.
func copyContent(out *os.File, src string, w want) error {
	if w.Decrypt != nil {
		return w.Decrypt.DecryptFile(out, src, "files"+w.Path+secrets.Suffix)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = io.Copy(out, in)
	return err
}
