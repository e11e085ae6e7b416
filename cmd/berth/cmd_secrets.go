package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	agecrypt "filippo.io/age"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-nix/berth/secrets"
)

// secretsOptions are the flags shared by the `berth secrets` commands.
type secretsOptions struct {
	Repo     string
	HostDir  string
	Host     string
	Identity string
	From     string
	All      bool
}

func (o secretsOptions) repo() secrets.Repo { return secrets.Repo{Dir: o.Repo, HostDir: o.HostDir} }

func newSecretsCmd(g *globals) *cobra.Command {
	var o secretsOptions
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Encrypt, edit and re-key a host's encrypted files (admin side)",
		Long: `Files named NAME.age in a host's files/ tree are encrypted with age to the
host's SSH host key (` + secrets.HostKeysDir + `/HOST.pub in the repository) and to
every key in ` + secrets.AdminsFile + `; the agent installs them as NAME, decrypted
with its host key. These commands work on a checkout of the fleet
repository (--repo, default the current directory); none reads the agent
configuration. See docs/secrets.md.`,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&o.Repo, "repo", ".", "the fleet repository")
	f.StringVar(&o.HostDir, "host-dir", secrets.DefaultHostDir, "host directory inside the repository; {hostname} is replaced")
	cmd.AddCommand(newSecretsEncryptCmd(g, &o), newSecretsEditCmd(g, &o), newSecretsRekeyCmd(g, &o))
	return cmd
}

func newSecretsEncryptCmd(g *globals, o *secretsOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "encrypt [--host HOST] [--from FILE] TARGET.age",
		Short: "Encrypt a file (--from, or standard input) for a host into TARGET.age",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretsEncrypt(g, *o, cmd.InOrStdin(), args[0])
		},
	}
	cmd.Flags().StringVar(&o.Host, "host", "", "the host it is for (default: the host whose directory holds TARGET)")
	cmd.Flags().StringVar(&o.From, "from", "", "the plaintext file (default: standard input)")
	return cmd
}

func newSecretsEditCmd(g *globals, o *secretsOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "edit [--host HOST] [--identity KEY] FILE.age",
		Short: "Decrypt FILE.age, edit it in $VISUAL or $EDITOR, and encrypt it again",
		Long: `Decrypts FILE.age with your key (--identity) into a private temporary
directory (mode 0700, in $XDG_RUNTIME_DIR when set), runs $VISUAL or $EDITOR
on it, and when the editor exits successfully with a changed file encrypts
it again to the host's and the admins' current keys. The temporary
directory is removed in every case. A FILE.age that does not exist yet
starts empty.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretsEdit(g, *o, cmd.InOrStdin(), args[0])
		},
	}
	cmd.Flags().StringVar(&o.Host, "host", "", "the host it is for (default: the host whose directory holds FILE)")
	identityFlag(cmd, o)
	return cmd
}

func newSecretsRekeyCmd(g *globals, o *secretsOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rekey [--identity KEY] HOST... | --all",
		Short: "Encrypt a host's files again to its current keys, after a host key or admin change",
		Args: func(_ *cobra.Command, args []string) error {
			if o.All == (len(args) > 0) {
				return &exitError{exitUsage, errors.New("secrets rekey: name the hosts, or --all")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSecretsRekey(g, *o, args)
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "every host with a key in "+secrets.HostKeysDir)
	identityFlag(cmd, o)
	return cmd
}

func identityFlag(cmd *cobra.Command, o *secretsOptions) {
	def := os.Getenv("BERTH_SECRETS_IDENTITY")
	if def == "" {
		if home, err := os.UserHomeDir(); err == nil {
			def = filepath.Join(home, ".ssh", "id_ed25519")
		}
	}
	cmd.Flags().StringVar(&o.Identity, "identity", def, "your private key (OpenSSH or age), listed in "+secrets.AdminsFile+"; default $BERTH_SECRETS_IDENTITY or ~/.ssh/id_ed25519")
}

func runSecretsEncrypt(g *globals, o secretsOptions, stdin io.Reader, target string) error {
	host, err := hostOf(o, target)
	if err != nil {
		return err
	}
	src := stdin
	if o.From != "" {
		f, err := os.Open(o.From)
		if err != nil {
			return &exitError{exitFailed, err}
		}
		defer f.Close()
		src = f
	}
	if err := o.repo().Encrypt(target, host, src); err != nil {
		return &exitError{exitFailed, fmt.Errorf("secrets encrypt: %w", err)}
	}
	fmt.Fprintf(g.stdout, "encrypted %s for %s and the admins\n", target, host)
	return nil
}

func runSecretsEdit(g *globals, o secretsOptions, stdin io.Reader, target string) error {
	host, err := hostOf(o, target)
	if err != nil {
		return err
	}
	ids, err := adminIdentity(o.Identity)
	if err != nil {
		return err
	}
	ed := secrets.Editor{Command: editorCommand(), Stdin: stdin, Stdout: g.stdout, Stderr: g.stderr}
	changed, err := o.repo().Edit(target, host, ids, ed)
	switch {
	case err != nil:
		return &exitError{exitFailed, fmt.Errorf("secrets edit: %w", err)}
	case changed:
		fmt.Fprintf(g.stdout, "encrypted %s for %s and the admins\n", target, host)
	default:
		fmt.Fprintf(g.stdout, "%s unchanged\n", target)
	}
	return nil
}

func runSecretsRekey(g *globals, o secretsOptions, hosts []string) error {
	r := o.repo()
	if o.All {
		var err error
		if hosts, err = r.Hosts(); err != nil {
			return &exitError{exitFailed, fmt.Errorf("secrets rekey: %w", err)}
		}
	}
	ids, err := adminIdentity(o.Identity)
	if err != nil {
		return err
	}
	for _, h := range hosts {
		done, err := r.Rekey(h, ids)
		if err != nil {
			return &exitError{exitFailed, fmt.Errorf("secrets rekey %s (%d file(s) re-keyed before): %w", h, len(done), err)}
		}
		fmt.Fprintf(g.stdout, "%s: re-keyed %d file(s)\n", h, len(done))
	}
	return nil
}

// hostOf is --host, or the host whose directory holds target.
func hostOf(o secretsOptions, target string) (string, error) {
	if !strings.HasSuffix(target, secrets.Suffix) {
		return "", &exitError{exitUsage, fmt.Errorf("secrets: %s: encrypted files end in %s", target, secrets.Suffix)}
	}
	if o.Host != "" {
		return o.Host, nil
	}
	h, err := o.repo().HostOf(target)
	if err != nil {
		return "", &exitError{exitUsage, fmt.Errorf("secrets: %w", err)}
	}
	return h, nil
}

// adminIdentity loads the admin's key, asking for its passphrase on the
// terminal when it has one.
func adminIdentity(path string) ([]agecrypt.Identity, error) {
	if path == "" {
		return nil, &exitError{exitUsage, errors.New("secrets: name your private key with --identity")}
	}
	ids, err := secrets.LoadIdentity(path, askPassphrase(path))
	if err != nil {
		return nil, &exitError{exitFailed, fmt.Errorf("secrets: your key: %w", err)}
	}
	return ids, nil
}

func askPassphrase(path string) func() ([]byte, error) {
	return func() ([]byte, error) {
		tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("%s has a passphrase and there is no terminal to ask it on", path)
		}
		defer tty.Close()
		fmt.Fprintf(tty, "passphrase for %s: ", path)
		defer fmt.Fprintln(tty)
		return term.ReadPassword(int(tty.Fd()))
	}
}

func editorCommand() string {
	if v := os.Getenv("VISUAL"); v != "" {
		return v
	}
	return os.Getenv("EDITOR")
}
