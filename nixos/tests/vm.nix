# NixOS VM test of berth: a git server, a git-fed host and an SFTP-fed
# host. It needs KVM and a binary cache; run it with
#
#   nix build .#checks.x86_64-linux.vm -L
#
# The guests have no network beyond the test VLAN. The fleet's host flakes
# take nixpkgs and berth as path: inputs pointing into the store, and the
# systems they describe are built here ahead (fleet/system.nix evaluates
# identically on both sides), so a guest's `nix build` finds them built.
{ pkgs, self, nixpkgs }:
let
  inherit (pkgs) lib;
  keys = import ./fleet/keys.nix { inherit pkgs; };

  system = host: variant: (import ./fleet/system.nix {
    berth = self;
    inherit nixpkgs host variant;
  }).config.system.build.toplevel;

  # A host's directory in the fleet repository: its flake, and the variant
  # module copied in as variant.nix.
  hostDir = host: variant: pkgs.runCommand "fleet-${host}" { } ''
    mkdir $out
    cp ${variant} $out/variant.nix
    cat > $out/flake.nix <<'FLAKE'
    {
      inputs.nixpkgs.url = "path:${nixpkgs}";
      inputs.berth.url = "path:${self}";
      inputs.berth.inputs.nixpkgs.follows = "nixpkgs";
      outputs = { berth, nixpkgs, ... }: {
        nixosConfigurations.${host} = import "''${berth}/nixos/tests/fleet/system.nix" {
          inherit berth nixpkgs;
          host = "${host}";
          variant = ./variant.nix;
        };
      };
    }
    FLAKE
  '';

  # What a guest's nix needs without network: the inputs of the host flake
  # and every system the test deploys to it.
  prebuilt = host: [ nixpkgs.outPath self.outPath ]
    ++ map (system host) [ ./fleet/good.nix ./fleet/bad.nix ./fleet/initial.nix ];

  fleetHost = host: {
    imports = [ self.nixosModules.default ./fleet/host.nix ./fleet/initial.nix ];
    networking.hostName = host;
    virtualisation.memorySize = 2048;
    virtualisation.additionalPaths = prebuilt host;
  };
in
pkgs.testers.runNixOSTest {
  name = "berth";

  nodes = {
    client = fleetHost "client";
    sftphost = fleetHost "sftphost";

    server = { ... }: {
      imports = [ self.nixosModules.server ];
      virtualisation.vlans = [ 1 ];
      environment.systemPackages = [ pkgs.git pkgs.curl self.packages.x86_64-linux.default ];
      system.activationScripts.berthTestHostKey = ''
        install -D -m 0600 ${keys}/server /etc/ssh/ssh_host_ed25519_key
        install -D -m 0644 ${keys}/server.pub /etc/ssh/ssh_host_ed25519_key.pub
      '';
      services.openssh.hostKeys = [{ path = "/etc/ssh/ssh_host_ed25519_key"; type = "ed25519"; }];
      users.users.git = {
        isSystemUser = true;
        group = "git";
        home = "/srv/git";
        shell = "${pkgs.git}/bin/git-shell";
        openssh.authorizedKeys.keyFiles = [ "${keys}/client.pub" ];
      };
      users.groups.git = { };
      services.berth-server = {
        enable = true;
        hosts.sftphost.publicKeys = [ (builtins.readFile "${keys}/client.pub") ];
      };
    };
  };

  testScript = ''
    import json

    def status(node):
        return json.loads(node.succeed("berth status --json"))["state"]

    def history(node):
        return json.loads(node.succeed("berth history --json"))

    def applied_revision(node):
        applied = status(node).get("applied") or {}
        return applied.get("revision", "")

    def publish(variant_dir):
        server.succeed(f"rm -rf /srv/fleet/hosts/sftphost && cp -rL {variant_dir} /srv/fleet/hosts/sftphost")
        # berth publish (issue 4) writes the host's tree and manifest into its chroot.
        server.succeed("berth publish --fleet /srv/fleet --chroots /srv/berth")

    def push(variant_dir, message):
        server.succeed(
            "rm -rf /srv/work/hosts/client && mkdir -p /srv/work/hosts",
            f"cp -rL {variant_dir} /srv/work/hosts/client && chmod -R u+w /srv/work/hosts/client",
            f"cd /srv/work && git add -A && git commit -q -m '{message}' && git push -q origin main",
            "chown -R git:git /srv/git",
        )

    start_all()
    server.wait_for_unit("sshd.service")

    with subtest("the git server holds the fleet repository"):
        server.succeed(
            "git config --global safe.directory '*'",
            "mkdir -p /srv/git && git init -q --bare -b main /srv/git/fleet.git",
            "git init -q -b main /srv/work && cd /srv/work && git config user.email a@b && git config user.name admin",
            "cd /srv/work && git remote add origin /srv/git/fleet.git",
        )
        push("${hostDir "client" ./fleet/good.nix}", "client: good")

    with subtest("a good revision is deployed and becomes the boot default"):
        client.wait_for_unit("berth.service")
        client.succeed("berth run")
        client.succeed("grep -q good /etc/fleet-revision")
        client.succeed("test $(readlink -f /nix/var/nix/profiles/system) = $(readlink -f /run/current-system)")
        good_rev = applied_revision(client)
        assert good_rev.startswith("main@sha1:"), good_rev

    with subtest("a bad revision is reverted and the boot entry is unchanged"):
        boot_before = client.succeed("readlink -f /nix/var/nix/profiles/system")
        push("${hostDir "client" ./fleet/bad.nix}", "client: bad")
        rc, out = client.execute("berth run")
        assert rc == 4, f"berth run: exit {rc}, want 4 (reverted)\n{out}"
        client.succeed("grep -q good /etc/fleet-revision")
        client.fail("systemctl cat fleet-broken.service")
        assert client.succeed("readlink -f /nix/var/nix/profiles/system") == boot_before
        assert applied_revision(client) == good_rev
        assert status(client).get("rejected"), "bad revision not recorded as rejected"

    with subtest("a webhook makes the agent poll at once"):
        push("${hostDir "client" ./fleet/initial.nix}", "client: back to initial")
        server.succeed(
            "curl -sf -X POST http://192.168.1.1:9420/webhook "
            "-H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: vm-test-secret' "
            "-d '{\"ref\": \"refs/heads/main\"}'"
        )
        client.wait_until_succeeds("grep -q initial /etc/fleet-revision", timeout=600)
        assert history(client)[0]["trigger"] == "webhook", history(client)[0]

    with subtest("an SFTP-fed host deploys what the server publishes"):
        server.succeed("mkdir -p /srv/fleet/hosts")
        publish("${hostDir "sftphost" ./fleet/good.nix}")
        sftphost.wait_for_unit("berth.service")
        sftphost.succeed("berth run")
        sftphost.succeed("grep -q good /etc/fleet-revision")
        assert applied_revision(sftphost).startswith("sftp@sha256:")
        sftphost.succeed("test $(readlink -f /nix/var/nix/profiles/system) = $(readlink -f /run/current-system)")
  '';
}
