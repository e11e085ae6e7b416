# Evaluates ../module.nix with nixpkgs' lib but without nixpkgs: the
# options it sets outside services.berth are declared here loosely, and
# pkgs.formats.yaml writes JSON (which is YAML). The environment variable
# BERTH_NIXPKGS_LIB names the lib directory (nixpkgs/lib, or lib/ of
# nix-community/nixpkgs.lib). Used by config/module_test.go:
#
#   BERTH_NIXPKGS_LIB=/path/to/lib nix-instantiate --eval --strict --json \
#     --read-write-mode nixos/tests/eval-module.nix --argstr settingsJSON '{...}'
#
# Result: { config = <rendered settings>; failedAssertions = [ messages ];
# service = <systemd.services.berth>; }
{ lib ? import (builtins.getEnv "BERTH_NIXPKGS_LIB"), settingsJSON ? "{}", hostName ? "laptop1", openFirewall ? false }:
let
  inherit (lib) mkOption types;
  loose = mkOption { type = types.attrsOf types.anything; default = { }; };
  # fake stands for a package: enough of a derivation for types.package.
  fake = name: { type = "derivation"; inherit name; outPath = "/nix/store/00000000000000000000000000000000-${name}"; };
  pkgs = {
    formats.yaml = _: {
      type = types.attrsOf types.anything;
      generate = name: value: builtins.toFile name (builtins.toJSON value);
    };
    berth = fake "berth";
    git = fake "git";
    systemd = fake "systemd";
    coreutils = fake "coreutils";
  };
  nixosStubs = {
    options = {
      assertions = mkOption { type = types.listOf types.anything; default = [ ]; };
      users.groups = loose;
      environment.systemPackages = mkOption { type = types.listOf types.anything; default = [ ]; };
      environment.etc = loose;
      systemd.services = loose;
      networking.hostName = mkOption { type = types.str; };
      networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
      nix.enable = mkOption { type = types.bool; default = true; };
      nix.package = mkOption { type = types.anything; default = fake "nix"; };
    };
  };
  eval = lib.evalModules {
    modules = [
      nixosStubs
      ../module.nix
      { _module.args.pkgs = pkgs; }
      {
        networking.hostName = hostName;
        services.berth = { enable = true; inherit openFirewall; settings = builtins.fromJSON settingsJSON; };
      }
    ];
  };
  c = eval.config;
in
{
  config = c.services.berth.configFile;
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
  service = c.systemd.services.berth;
  firewall = c.networking.firewall.allowedTCPPorts;
  takeover = c.systemd.services.berth-takeover;
}
