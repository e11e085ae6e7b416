// Package verify reads the trust material berth checks signatures
// against: allowed_signers files (OpenSSH's format, as git uses it), SSH
// signatures (see SSH) and OpenPGP identities.
//
// Whoever can write to the git or SFTP server would otherwise be root on
// every host. Both sources take their signing policy in their Config
// (gitsource.Config.Signing, sftpsource.Config.AllowedSigners) and refuse,
// before staging, a revision no trusted key signed: such a writer can then
// only make the agent refuse (a Stalling error naming the revision and the
// signer found) or keep running what it runs.
package verify
