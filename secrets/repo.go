package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"filippo.io/age"
	"github.com/berth-nix/berth/internal/atomicfile"
	"github.com/berth-nix/berth/internal/hostname"
)

// Where a fleet repository keeps the public keys, relative to its root.
const (
	// AdminsFile lists the admins' public keys: every encrypted file is
	// encrypted to all of them as well as to its host.
	AdminsFile = "secrets/admins.pub"
	// HostKeysDir holds HOST.pub for each host: its SSH host public key
	// (/etc/ssh/ssh_host_ed25519_key.pub on the machine).
	HostKeysDir = "secrets/hosts"
	// DefaultHostDir is where a host's directory is, as source.host_dir.
	DefaultHostDir = hostname.DefaultHostDir
)

// Repo is a fleet repository checked out on the admin's machine.
type Repo struct {
	Dir string
	// HostDir is the host directory pattern ({hostname} is replaced);
	// DefaultHostDir when empty.
	HostDir string
}

// HostDirOf is host's directory.
func (r Repo) HostDirOf(host string) string {
	p := r.HostDir
	if p == "" {
		p = DefaultHostDir
	}
	return filepath.Join(r.Dir, filepath.FromSlash(hostname.Expand(p, host)))
}

// Hosts lists the hosts that have a public key in HostKeysDir, sorted.
func (r Repo) Hosts() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(r.Dir, HostKeysDir))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if h, ok := strings.CutSuffix(e.Name(), ".pub"); ok && !e.IsDir() {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Recipients are who a file of host is encrypted to: the host's keys
// and the admins'.
func (r Repo) Recipients(host string) ([]age.Recipient, error) {
	if err := hostname.Check(host); err != nil {
		return nil, err
	}
	hk, err := r.keys(filepath.Join(HostKeysDir, host+".pub"), "the host's SSH host public key")
	if err != nil {
		return nil, err
	}
	ak, err := r.keys(AdminsFile, "the admins' public keys")
	if err != nil {
		return nil, err
	}
	return append(hk, ak...), nil
}

// keys reads a recipients file of the repository; it must list at least
// one key.
func (r Repo) keys(rel, what string) ([]age.Recipient, error) {
	f, err := os.Open(filepath.Join(r.Dir, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing: it must hold %s", rel, what)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs, err := ParseRecipients(rel, f)
	if err == nil && len(rs) == 0 {
		err = fmt.Errorf("%s lists no key: it must hold %s", rel, what)
	}
	return rs, err
}

// HostOf names the host whose directory holds path (a file in the
// repository), among the hosts that have a key.
func (r Repo) HostOf(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	hosts, err := r.Hosts()
	if err != nil {
		return "", err
	}
	for _, h := range hosts {
		d, err := filepath.Abs(r.HostDirOf(h))
		if err == nil && strings.HasPrefix(abs, d+string(filepath.Separator)) {
			return h, nil
		}
	}
	return "", fmt.Errorf("%s is in no host's directory (hosts with a key in %s: %s); name the host with --host", path, HostKeysDir, strings.Join(hosts, ", "))
}

// Encrypt writes the plaintext read from src to the age file target,
// encrypted for host, atomically: the previous target stays whole until
// the new one is complete.
func (r Repo) Encrypt(target, host string, src io.Reader) error {
	rs, err := r.Recipients(host)
	if err != nil {
		return err
	}
	return writeAtomic(target, func(w io.Writer) error { return Encrypt(w, src, rs) })
}

// writeAtomic writes target through fill: a temporary file beside it,
// synced, renamed over it. Parent directories are created.
func writeAtomic(target string, fill func(io.Writer) error) error {
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp*")
	if err != nil {
		return err
	}
	err = fill(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), target)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return atomicfile.SyncDir(dir)
}

// Files lists the encrypted files (*.age) in host's directory, sorted;
// none when it has no directory.
func (r Repo) Files(host string) ([]string, error) {
	var out []string
	dir := r.HostDirOf(host)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, Suffix) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// Rekey re-encrypts every encrypted file of host to its current
// recipients, decrypting with ids (an admin's key). The plaintext only
// streams through memory. It returns the files it rewrote.
func (r Repo) Rekey(host string, ids []age.Identity) ([]string, error) {
	rs, err := r.Recipients(host)
	if err != nil {
		return nil, err
	}
	list, err := r.Files(host)
	if err != nil {
		return nil, err
	}
	for i, p := range list {
		if err := reencrypt(p, r.rel(p), ids, rs); err != nil {
			return list[:i], err
		}
	}
	return list, nil
}

func reencrypt(p, name string, ids []age.Identity, rs []age.Recipient) error {
	in, err := os.Open(p)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomic(p, func(w io.Writer) error {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(Decrypt(pw, in, name, ids)) }()
		err := Encrypt(w, pr, rs)
		pr.CloseWithError(err)
		return err
	})
}

// rel is p relative to the repository, for messages.
func (r Repo) rel(p string) string {
	if rel, err := filepath.Rel(r.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
