# Evaluates ../server.nix with nixpkgs' lib (directory in the environment
# variable BERTH_NIXPKGS_LIB) for a two-host fleet and checks what it
# produces; evaluates to true or fails naming the broken expectation.
# Run by e2e/check-nix when BERTH_NIXPKGS_LIB is set:
#
#   BERTH_NIXPKGS_LIB=/path/to/lib nix-instantiate --eval --strict nixos/tests/eval-server.nix
let
  lib = import (builtins.getEnv "BERTH_NIXPKGS_LIB");
  inherit (lib) mkOption types;
  loose = mkOption { type = types.attrsOf types.anything; default = { }; };
  list = mkOption { type = types.listOf types.anything; default = [ ]; };
  stubs.options = {
    assertions = list;
    services.openssh.enable = mkOption { type = types.bool; default = false; };
    services.openssh.extraConfig = mkOption { type = types.lines; default = ""; };
    users.users = loose;
    users.groups = loose;
    systemd.tmpfiles.rules = list;
    systemd.services = loose;
    systemd.timers = loose;
  };
  eval = lib.evalModules {
    modules = [
      stubs
      ../server.nix
      { _module.args.pkgs.berth = { type = "derivation"; name = "berth"; outPath = "/nix/store/00000000000000000000000000000000-berth"; }; }
      {
        services.berth-server = {
          enable = true;
          hosts.laptop1.publicKeys = [ "ssh-ed25519 AAAAkey1 root@laptop1" ];
          hosts.laptop2 = { user = "l2"; publicKeys = [ "ssh-ed25519 AAAAkey2 root@laptop2" ]; };
        };
      }
    ];
  };
  c = eval.config;
  sshd = c.services.openssh.extraConfig;
  has = s: lib.hasInfix s sshd;
  expect = what: ok: if ok then true else throw "server.nix: ${what}";
  failed = lib.filter (a: !a.assertion) c.assertions;
in
lib.all (x: x) [
  (expect "assertions fail: ${toString (map (a: a.message) failed)}" (failed == [ ]))
  (expect "sshd enabled" c.services.openssh.enable)
  (expect "Match block for berth-laptop1" (has "Match User berth-laptop1\n  ChrootDirectory /srv/berth/laptop1\n  ForceCommand internal-sftp -d /\n"))
  (expect "Match block for l2" (has "Match User l2\n  ChrootDirectory /srv/berth/laptop2\n"))
  (expect "no forwarding, no TTY" (has "DisableForwarding yes" && has "PermitTTY no"))
  (expect "restricted key" (c.users.users.berth-laptop1.openssh.authorizedKeys.keys == [ "restrict ssh-ed25519 AAAAkey1 root@laptop1" ]))
  (expect "system user" c.users.users.l2.isSystemUser)
  (expect "chroot dirs" (lib.elem "d /srv/berth/laptop1/config 0750 root berth-laptop1 -" c.systemd.tmpfiles.rules
    && lib.elem "d /srv/berth/laptop2/reports 0750 l2 l2 -" c.systemd.tmpfiles.rules))
  (expect "no publish unit unless enabled" (!(c.systemd.services ? berth-publish)))
]
