package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-nix/berth/activate/files"
	"github.com/berth-nix/berth/internal/testenv"
	"github.com/berth-nix/berth/internal/testserver"
	"github.com/berth-nix/berth/secrets"
	"github.com/berth-nix/berth/secrets/secretstest"
	"github.com/berth-nix/berth/source"
	sftpsource "github.com/berth-nix/berth/source/sftp"
)

// TestEncryptedFilesOverGitAndSFTP: files encrypted with berth secrets
// reach their host byte for byte over the git source and, through berth
// publish (which never decrypts), over the SFTP source, with the same
// digest; host a installs its plaintext from either, host b's key cannot
// open a's file, and no copy outside a's root holds the plaintext.
func TestEncryptedFilesOverGitAndSFTP(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "installing files needs root to chown")
	}
	f := newSecretsFleet(t)
	repo := testserver.NewRepo(t)
	f.dir = repo.WorkDir()
	for _, h := range []string{"a", "b"} {
		repo.WriteFile("hosts/"+h+"/flake.nix", "{ }\n")
	}
	repo.WriteFile(secrets.HostKeysDir+"/a.pub", f.a.Pub+"\n")
	repo.WriteFile(secrets.HostKeysDir+"/b.pub", f.b.Pub+"\n")
	repo.WriteFile(secrets.AdminsFile, f.admin.Pub+"\n")
	plainFile := filepath.Join(t.TempDir(), "token")
	secretstest.WriteFile(t, plainFile, secretMarker)
	target := filepath.Join(f.dir, "hosts/a/files/etc/token.age")
	if out, code := run(t, "secrets", "encrypt", "--repo", f.dir, "--from", plainFile, target); code != exitOK {
		t.Fatalf("encrypt: %s", out)
	}
	cipher, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	repo.Commit("secrets for a")
	repo.Push()
	srv := testserver.StartGitHTTP(t, repo, "tok")
	token := filepath.Join(t.TempDir(), "token")
	secretstest.WriteFile(t, token, "tok\n")

	viaGit := fetchGit(t, srv.URL(), token, "a")
	sftp := publishTo(t, f.dir, "a")
	viaSFTP := fetchSFTP(t, sftp, "a")
	if viaGit.Digest != viaSFTP.Digest {
		t.Errorf("digest over git %s, over SFTP %s; want the same", viaGit.Digest, viaSFTP.Digest)
	}
	for name, a := range map[string]source.Artifact{"git": viaGit, "sftp": viaSFTP} {
		if got, _ := os.ReadFile(filepath.Join(a.FilesDir(), "etc/token.age")); !bytes.Equal(got, cipher) {
			t.Errorf("over %s the staged .age file is not the committed ciphertext", name)
		}
		root := t.TempDir()
		installFrom(t, a, f.a, root)
		if got, _ := os.ReadFile(filepath.Join(root, "etc/token")); string(got) != secretMarker {
			t.Errorf("over %s host a installed %q", name, got)
		}
		in := &files.Installer{Root: t.TempDir(), StateDir: t.TempDir(), Decrypt: &secrets.HostKey{Path: f.b.Priv}}
		if _, err := in.Plan(a.FilesDir(), filepath.Join(a.FlakeDir(), files.MetaFile)); err == nil {
			t.Errorf("over %s host b's key opened a's file", name)
		}
	}
	for _, dir := range []string{sftp.ChrootDir("berth-a"), filepath.Dir(filepath.Dir(viaGit.Path)), filepath.Dir(filepath.Dir(viaSFTP.Path)), repo.BareDir()} {
		if hit := secretstest.Grep(t, dir, secretMarker); hit != "" {
			t.Errorf("the plaintext is in %s", hit)
		}
	}
}

// publishTo publishes host with berth publish into its chroot on a real
// SFTP server.
func publishTo(t *testing.T, fleet, host string) *testserver.SFTP {
	t.Helper()
	sftp := testserver.StartSFTP(t, "berth-"+host)
	chroots := t.TempDir()
	if err := os.Symlink(sftp.ChrootDir("berth-"+host), filepath.Join(chroots, host)); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "publish", "--fleet", fleet, "--chroots", chroots, host); code != exitOK {
		t.Fatalf("berth publish: exit %d\n%s", code, out)
	}
	return sftp
}

// fetchSFTP fetches host from its chroot with the SFTP source.
func fetchSFTP(t *testing.T, sftp *testserver.SFTP, host string) source.Artifact {
	t.Helper()
	dir := t.TempDir()
	src, err := sftpsource.New(sftpsource.Config{Address: sftp.Addr(), User: "berth-" + host, SSHKeyFile: sftp.ClientKeyPath("berth-" + host),
		KnownHostsFile: sftp.KnownHostsPath(), Host: host, StateDir: filepath.Join(dir, "state"), StageDir: filepath.Join(dir, "stage"), Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	a, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatalf("sftp source, %s: %v", host, err)
	}
	return a
}

// installFrom plans and installs the artifact's files tree under root,
// decrypting with key.
func installFrom(t *testing.T, a source.Artifact, key secretstest.Key, root string) {
	t.Helper()
	in := &files.Installer{Root: root, StateDir: t.TempDir(), Decrypt: &secrets.HostKey{Path: key.Priv}}
	p, err := in.Plan(a.FilesDir(), filepath.Join(a.FlakeDir(), files.MetaFile))
	if err == nil {
		err = in.Install("t1", p)
	}
	if err == nil {
		err = in.Commit("t1")
	}
	if err != nil {
		t.Fatalf("install %s's files: %v", a.Host, err)
	}
}
