package fleetinit

import (
	"fmt"
	"strings"
)

// The files a fleet repository starts with. Each host file takes the host
// name; the shared ones take the options.

func hostFlake(host string) string {
	return fmt.Sprintf(`# The flake of host %[1]s. berth builds
# nixosConfigurations.%[1]s.config.system.build.toplevel from this directory
# alone, with ./common resolved into a copy of ../../modules/common.
#
# Run "nix flake lock" in this directory and commit flake.lock: berth never
# writes a lock file, and an unlocked input is fetched anew on every build.
{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/%[2]s";
  inputs.berth.url = "github:berth-nix/berth";
  inputs.berth.inputs.nixpkgs.follows = "nixpkgs";

  outputs = { nixpkgs, berth, ... }: {
    # The platform comes from hardware-configuration.nix
    # (nixpkgs.hostPlatform).
    nixosConfigurations.%[3]s = nixpkgs.lib.nixosSystem {
      modules = [
        berth.nixosModules.default
        ./common
        ./configuration.nix
      ];
    };
  };
}
`, host, NixOSRelease, nixAttr(host))
}

func hostConfiguration(host string) string {
	return fmt.Sprintf(`# What is particular to %[1]s. What every host shares is in ./common
# (../../modules/common in the repository).
{ ... }:
{
  imports = [ ./hardware-configuration.nix ];

  # Must be this directory's name: the agent fetches hosts/<hostName> and
  # builds nixosConfigurations.<hostName>.
  networking.hostName = %[2]s;

  # The boot loader of a UEFI laptop; take the lines of the
  # /etc/nixos/configuration.nix the installer wrote if yours differ.
  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  # The release %[1]s was installed with. Leave it when you upgrade.
  system.stateVersion = %[3]s;
}
`, host, nixString(host), nixString(StateVersion()))
}

func hostHardware(host string) string {
	return fmt.Sprintf(`# A placeholder. On %[1]s itself, replace this file with the hardware
# configuration NixOS detects there, from a checkout of the repository:
#
#   nixos-generate-config --show-hardware-config > hosts/%[1]s/hardware-configuration.nix
#
# then git add and commit it. Until then evaluating %[1]s fails with the
# message below.
{ ... }:
throw "hosts/%[1]s/hardware-configuration.nix is a placeholder: run nixos-generate-config --show-hardware-config on %[1]s and commit its output there"
`, host)
}

func hostFilesReadme(host string) string {
	return fmt.Sprintf(`This file is installed as /etc/fleet/README on %[1]s by the berth agent,
from hosts/%[1]s/files/etc/fleet/README in the fleet repository. Files under
files/ are copied as they are, never through the Nix store. Every host
fetches the whole repository, so secrets go in encrypted to this host's
SSH host key: NAME.age, made with berth secrets, is installed as NAME,
decrypted (docs/secrets.md). The first nixos-rebuild does not install
them; the agent does, at its first deployment. Owners and modes are in
../files.yaml.
`, host)
}

const filesYAML = `# Owners and modes of what files/ installs, by installed path
# (docs/files.md). This file is part of the flake, and so of the
# world-readable Nix store: never put a secret in it.
/etc/fleet/README:
  mode: "0644"
# A secret, for example (files/etc/wireguard/wg0.key.age, encrypted with
# berth secrets encrypt, is installed as /etc/wireguard/wg0.key, 0600 unless
# declared here):
# /etc/wireguard:
#   secret: true        # files below 0600, new directories 0700
`

const checksYAML = `# Checks the agent runs after switching to a new configuration of this
# host, besides "no unit failed" (docs/health.md). If one keeps failing
# until its deadline, the previous system comes back.
checks:
  - name: multi-user
    kind: unit
    unit: multi-user.target
# More, for example:
#  - name: web
#    kind: http
#    url: http://127.0.0.1:8080/
#    deadline: 60s
`

func commonDefault() string {
	return `# Shared by every host: each hosts/<host>/common links here.
{ ... }:
{
  imports = [ ./berth.nix ];

  nix.settings.experimental-features = [ "nix-command" "flakes" ];

  # Every deployment adds a system generation. Collect old ones, and keep
  # the boot menu short (the /boot partition of a laptop is small).
  nix.gc = {
    automatic = true;
    dates = "weekly";
    options = "--delete-older-than 30d";
  };
  boot.loader.systemd-boot.configurationLimit = 20;
  boot.loader.grub.configurationLimit = 20;
}
`
}

func commonBerth(o Options) string {
	return fmt.Sprintf(`# The berth agent on every host (docs/nixos.md, docs/configuration.md).
{ ... }:
{
  services.berth = {
    enable = true;
    settings = {
      source.git = {
        url = %[1]s;
        branch = %[2]s;
        # Read access to the repository, outside the Nix store, put on
        # each host by hand (docs/getting-started.md). For SSH instead:
        #   url = "ssh://git@git.example.org/admin/fleet.git";
        #   ssh_key_file = "/var/lib/berth-keys/id_ed25519";
        #   known_hosts_file = "/etc/berth/known_hosts";
        token_file = "/var/lib/berth-keys/token";
      };
      schedule.cron = "@every 15m";
    };
  };
}
`, nixString(o.URL), nixString(o.Branch))
}

func readme(o Options) string {
	return fmt.Sprintf("# Fleet\n\n"+
		"The NixOS configuration of every host, deployed by the berth agent on\n"+
		"each host from branch `%[1]s` of %[2]s.\n\n"+
		"Each `hosts/<host>/` is a flake whose `nixosConfigurations.<host>` is that\n"+
		"host's system, pinned to NixOS `%[3]s`:\n\n"+
		"    flake.nix                    run `nix flake lock` here and commit flake.lock\n"+
		"    configuration.nix            networking.hostName = the directory's name\n"+
		"    hardware-configuration.nix   a placeholder until you run nixos-generate-config\n"+
		"    common -> ../../modules/common\n"+
		"    files/                       copied verbatim onto the host by the agent\n"+
		"    files.yaml                   owners and modes of files/ (never secrets)\n"+
		"    berth-checks.yaml            health checks after a switch\n\n"+
		"`modules/common/` is shared by every host through the `common` symlink;\n"+
		"berth resolves it into a copy when it fetches a host's directory. Build a\n"+
		"host before you push, from a checkout:\n\n"+
		"    nix build ./hosts/<host>#nixosConfigurations.<host>.config.system.build.toplevel\n\n"+
		"New files must be `git add`ed first: a flake in a git checkout sees only\n"+
		"tracked files. Add a host with `berth init --add-host NAME` run here.\n", o.Branch, o.URL, NixOSRelease)
}

// nixString quotes s as a Nix string literal; host names need no escapes,
// the URL and branch may.
func nixString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`)
	return `"` + r.Replace(s) + `"`
}

// nixAttr is host as a Nix attribute name: quoted when it does not start
// with a letter or underscore.
func nixAttr(host string) string {
	if c := host[0]; c >= '0' && c <= '9' {
		return nixString(host)
	}
	return host
}
