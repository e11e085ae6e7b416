# NixOS VM test of berth: a git server, a git-fed host and an SFTP-fed
# host. It needs KVM and a binary cache; run it with
#
#   nix build .#checks.x86_64-linux.vm -L
#
# What it checks: the first deploy (started by the agent itself), the boot
# entry of a promoted system, the verbatim files tree, a bad revision
# reverted with the boot entry and the files unchanged, the hand-over to
# an agent with a new configuration file (berth-takeover), the webhook,
# the dead-man timer reverting when the agent dies mid-attempt, and an
# SFTP-fed host.
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

  # A host's directory in the fleet repository: its flake, the variant
  # module copied in as variant.nix, and a files tree with one secret
  # whose content names the variant.
  hostDir = host: variant: pkgs.runCommand "fleet-${host}" { } ''
    mkdir -p $out/files/etc/fleet-files
    cp ${variant} $out/variant.nix
    basename ${variant} .nix | cut -d- -f2- > $out/files/etc/fleet-files/token
    printf '/etc/fleet-files:\n  secret: true\n' > $out/files.yaml
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
    ++ map (system host) [ ./fleet/good.nix ./fleet/bad.nix ./fleet/initial.nix ./fleet/takeover.nix ./fleet/deadman.nix ];

  fleetHost = host: {
    imports = [ self.nixosModules.default ./fleet/host.nix ./fleet/initial.nix ];
    networking.hostName = host;
    # The guest evaluates its own NixOS system (nixpkgs' module system and
    # all); test-instrumentation sets vm.panic_on_oom, so running short is
    # a crash, not a slow test.
    virtualisation.memorySize = 4096;
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
    import time

    def status(node):
        return json.loads(node.succeed("berth status --json"))["state"]

    def history(node):
        return json.loads(node.succeed("berth history --json"))

    def applied_revision(node):
        applied = status(node).get("applied") or {}
        return applied.get("revision", "")

    def wait_for_applied(node, other_than, timeout=600):
        # The state is recorded after the promote, and the agent may be
        # restarting (berth-takeover): poll until a revision other than
        # other_than is recorded as applied.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc, out = node.execute("berth status --json")
            if rc == 0:
                rev = (json.loads(out)["state"].get("applied") or {}).get("revision", "")
                if rev and rev != other_than:
                    return rev
            time.sleep(2)
        raise Exception(f"no revision other than {other_than!r} applied within {timeout}s")

    def boot_entry(node):
        return node.succeed("readlink -f /nix/var/nix/profiles/system").strip()

    def check_promoted(node):
        # The running system is the boot default, and the boot loader was
        # installed for it.
        current = node.succeed("readlink -f /run/current-system").strip()
        assert boot_entry(node) == current, f"profile {boot_entry(node)}, running {current}"
        installed = node.succeed("cat /run/berth-vm-test-bootloader").strip()
        assert installed == current, f"boot loader installed for {installed}, running {current}"

    def check_files(node, variant):
        # The files tree is installed byte for byte, outside the store, with
        # the mode files.yaml asks for.
        node.succeed(
            f"test \"$(cat /etc/fleet-files/token)\" = {variant}",
            "test ! -L /etc/fleet-files/token",
            "test \"$(stat -c %a /etc/fleet-files/token)\" = 600",
        )

    def agent_pid(node):
        return node.succeed("systemctl show --property=MainPID --value berth.service").strip()

    def publish(variant_dir):
        server.succeed(f"rm -rf /srv/fleet/hosts/sftphost && cp -rL {variant_dir} /srv/fleet/hosts/sftphost")
        server.succeed("berth publish --fleet /srv/fleet --chroots /srv/berth")

    def push(variant_dir, message):
        server.succeed(
            "rm -rf /srv/work/hosts/client && mkdir -p /srv/work/hosts",
            f"cp -rL {variant_dir} /srv/work/hosts/client && chmod -R u+w /srv/work/hosts/client",
            f"cd /srv/work && git add -A && git commit -q -m '{message}' && git push -q origin main",
            "chown -R git:git /srv/git",
        )

    # The fleet hosts start only once their source holds a revision: the
    # agent's start-up reconcile then deploys it, and no reconcile of the
    # agent's own runs while the test pushes and runs the next ones (the
    # schedule is a day).
    server.start()
    server.wait_for_unit("sshd.service")

    with subtest("the git server holds the fleet repository, the SFTP chroot a published tree"):
        server.succeed(
            "git config --global safe.directory '*'",
            "mkdir -p /srv/git && git init -q --bare -b main /srv/git/fleet.git",
            "git init -q -b main /srv/work && cd /srv/work && git config user.email a@b && git config user.name admin",
            "cd /srv/work && git remote add origin /srv/git/fleet.git",
        )
        push("${hostDir "client" ./fleet/good.nix}", "client: good")
        server.succeed("mkdir -p /srv/fleet/hosts")
        publish("${hostDir "sftphost" ./fleet/good.nix}")

    client.start()
    sftphost.start()

    with subtest("the agent deploys the branch at start-up and promotes it to the boot entry"):
        client.wait_for_unit("berth.service")
        client.wait_until_succeeds("grep -q good /etc/fleet-revision", timeout=900)
        good_rev = wait_for_applied(client, "")
        assert good_rev.startswith("main@sha1:"), good_rev
        check_promoted(client)
        check_files(client, "good")

    with subtest("a bad revision is reverted; the boot entry and the files are unchanged"):
        boot_before = boot_entry(client)
        loader_before = client.succeed("cat /run/berth-vm-test-bootloader")
        push("${hostDir "client" ./fleet/bad.nix}", "client: bad")
        rc, out = client.execute("berth run")
        assert rc == 4, f"berth run: exit {rc}, want 4 (reverted)\n{out}"
        client.succeed("grep -q good /etc/fleet-revision")
        client.fail("systemctl cat fleet-broken.service")
        assert boot_entry(client) == boot_before
        assert client.succeed("cat /run/berth-vm-test-bootloader") == loader_before
        check_files(client, "good")
        assert applied_revision(client) == good_rev
        assert status(client).get("rejected"), "bad revision not recorded as rejected"

    with subtest("a new configuration file is handed over to a new agent"):
        pid_before = agent_pid(client)
        push("${hostDir "client" ./fleet/takeover.nix}", "client: takeover")
        # berth-takeover restarts the agent that runs this very command;
        # the new agent completes the attempt, so the exit status of
        # berth run says nothing here.
        client.execute("berth run")
        client.wait_until_succeeds("grep -q takeover /etc/fleet-revision", timeout=600)
        client.wait_until_succeeds(
            f"test \"$(systemctl show --property=MainPID --value berth.service)\" != {pid_before}",
            timeout=300,
        )
        client.wait_for_unit("berth.service")
        # The running agent was started with the installed package and file.
        client.succeed(
            "pid=$(systemctl show --property=MainPID --value berth.service); "
            "have=$(tr '\\0' '\\n' < /proc/$pid/environ | grep '^BERTH_INSTALLED='); "
            "systemctl cat berth.service | grep -qF \"$have\""
        )
        takeover_rev = wait_for_applied(client, good_rev)
        check_promoted(client)
        check_files(client, "takeover")

    with subtest("a webhook makes the agent poll at once"):
        push("${hostDir "client" ./fleet/initial.nix}", "client: back to initial")
        server.succeed(
            "curl -sf -X POST http://192.168.1.1:9420/webhook "
            "-H 'X-Gitlab-Event: Push Hook' -H 'X-Gitlab-Token: vm-test-secret' "
            "-d '{\"ref\": \"refs/heads/main\"}'"
        )
        client.wait_until_succeeds("grep -q initial /etc/fleet-revision", timeout=600)
        wait_for_applied(client, takeover_rev)
        assert history(client)[0]["trigger"] == "webhook", history(client)[0]
        check_promoted(client)
        check_files(client, "initial")

    with subtest("the dead-man timer reverts when the agent dies before its verdict"):
        initial_rev = applied_revision(client)
        boot_before = boot_entry(client)
        push("${hostDir "client" ./fleet/deadman.nix}", "client: kills the agent")
        client.execute("berth run")
        # The activation killed the agent and stopped its unit; nothing but
        # the timer (window 5m) brings the previous system back.
        client.wait_until_fails("systemctl is-active berth.service", timeout=600)
        client.wait_until_succeeds("grep -q initial /etc/fleet-revision", timeout=900)
        assert boot_entry(client) == boot_before
        client.succeed("systemctl start berth.service")
        client.wait_for_unit("berth.service")
        client.wait_until_succeeds("berth status --json | grep -q 'dead-man'", timeout=300)
        assert applied_revision(client) == initial_rev
        check_files(client, "initial")

    with subtest("an SFTP-fed host deploys what the server publishes"):
        sftphost.wait_for_unit("berth.service")
        sftphost.wait_until_succeeds("grep -q good /etc/fleet-revision", timeout=900)
        assert wait_for_applied(sftphost, "").startswith("sftp@sha256:")
        check_promoted(sftphost)
        check_files(sftphost, "good")
  '';
}
