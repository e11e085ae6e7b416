package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-nix/berth/e2e/fixture"
	"github.com/berth-nix/berth/source/manifest"
)

// TestSignedSFTPManifests: with trust.sftp.allowed_signers set, only
// manifests signed by `berth publish --sign-key` with a listed key are
// applied, and an older signed manifest put back on the server is refused,
// with the running system, the profile and the boot entry unchanged.
func TestSignedSFTPManifests(t *testing.T) {
	t.Parallel()
	f := newSFTPHost(t, alphaV1(), "trust:\n  sftp:\n    allowed_signers: /etc/berth/allowed_signers\n")
	alice := newSigningKey(t, "alice@example.com")
	f.write("/etc/berth/allowed_signers", strings.Replace(alice.line, `namespaces="git"`, `namespaces="berth-manifest"`, 1), 0o644)
	base := f.system()
	t.Run("unsigned manifest refused", func(t *testing.T) {
		f.t = t
		f.run(1)
		if s := f.system(); s != base {
			t.Fatalf("system changed: got %+v, want %+v", s, base)
		}
		if st := f.status().State; st.Rejected == nil || !strings.Contains(st.Rejected.Reason, "is not signed") {
			t.Errorf("rejected %+v, want an unsigned manifest refused", st.Rejected)
		}
	})
	var v1Manifest, v1Sig, v1Rev []byte
	t.Run("signed manifest applied", func(t *testing.T) {
		f.t = t
		h := alphaV1()
		h.Units["signed.service"] = fixture.SleepService("signed")
		fixture.PutHost(t, f.repo, h)
		f.publishSigned(alice)
		f.run(0)
		if s := f.system(); s == base || s.current != s.profile || s.boot != s.current || !f.active("signed.service") {
			t.Fatalf("got %+v, want the signed system running and booted", s)
		}
		if a := f.trustStatus().State.Applied; a == nil || !strings.Contains(a.Signer, "alice@example.com") {
			t.Errorf("status applied %+v, want signed by alice", a)
		}
		v1Manifest = f.serverFile(manifest.Name)
		v1Sig = f.serverFile(manifest.SignaturePath(v1Manifest))
		v1Rev = f.serverFile(manifest.RevisionName)
	})
	t.Run("old signed manifest replayed and refused", func(t *testing.T) {
		f.t = t
		h := alphaV1()
		h.Units["newer.service"] = fixture.SleepService("newer")
		fixture.PutHost(t, f.repo, h)
		f.publishSigned(alice)
		f.run(0)
		newer := f.system()
		f.putServerFile(manifest.SignaturePath(v1Manifest), v1Sig)
		f.putServerFile(manifest.Name, v1Manifest)
		f.putServerFile(manifest.RevisionName, v1Rev)
		f.run(1)
		if s := f.system(); s != newer || !f.active("newer.service") {
			t.Fatalf("system changed: got %+v, want %+v", s, newer)
		}
		if st := f.status().State; st.Rejected == nil || !strings.Contains(st.Rejected.Reason, "replayed") {
			t.Errorf("rejected %+v, want a replayed manifest refused", st.Rejected)
		}
	})
}

// publishSigned runs `berth publish --sign-key` over the fleet.
func (f *sftpHost) publishSigned(k sshSigningKey) {
	f.t.Helper()
	cmd := exec.Command(berthBinary(f.t), "publish", "--fleet", f.repo.WorkDir(), "--chroots", f.chroots, "--sign-key", k.path)
	if out, err := cmd.CombinedOutput(); err != nil {
		f.t.Fatalf("berth publish --sign-key: %v\n%s", err, out)
	}
}

func (f *sftpHost) serverFile(rel string) []byte {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(f.sftp.ChrootDir(sftpUser), "config", rel))
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

func (f *sftpHost) putServerFile(rel string, data []byte) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.sftp.ChrootDir(sftpUser), "config", rel), data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}
