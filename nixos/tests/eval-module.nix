# Evaluates ../module.nix with nixpkgs' lib but without nixpkgs: the
# options it sets outside services.berth are declared here loosely, and
# pkgs.formats.yaml writes JSON (which is YAML). The environment variable
# BERTH_NIXPKGS_LIB names the lib directory (nixpkgs/lib, or lib/ of
# nix-community/nixpkgs.lib). Used by config/module_test.go and
# nixos/module_eval_test.go:
#
#   BERTH_NIXPKGS_LIB=/path/to/lib nix-instantiate --eval --strict --json \
#     --read-write-mode nixos/tests/eval-module.nix --argstr settingsJSON '{...}'
#
# berthPackage, a directory holding bin/berth, becomes the package (copied
# into the store), so that the check derivation the module adds to
# system.checks runs a real berth; pkgs.runCommand builds with /bin/sh and
# no nixpkgs. viaFlake evaluates the flake's nixosModules.default, imported
# twice, instead of the file.
#
# Result: { config = <rendered settings>; failedAssertions = [ messages ];
# service = <systemd.services.berth>; firewall; takeover; checks = [ drv
# paths ]; package }
{ lib ? import (builtins.getEnv "BERTH_NIXPKGS_LIB")
, settingsJSON ? "{}"
, hostName ? "laptop1"
, openFirewall ? false
, berthPackage ? ""
, proxy ? ""
, viaFlake ? false
}:
let
  inherit (lib) mkOption types;
  loose = mkOption { type = types.attrsOf types.anything; default = { }; };
  list = mkOption { type = types.listOf types.anything; default = [ ]; };
  # fake stands for a package: enough of a derivation for types.package.
  fake = name: { type = "derivation"; inherit name; outPath = "/nix/store/00000000000000000000000000000000-${name}"; };
  system = "x86_64-linux";
  pkgs = {
    formats.yaml = _: {
      type = types.attrsOf types.anything;
      generate = name: value: builtins.toFile name (builtins.toJSON value);
    };
    runCommand = name: env: script: builtins.derivation (env // {
      inherit name;
      system = builtins.currentSystem;
      builder = "/bin/sh";
      args = [ "-ec" script ];
      PATH = "/usr/bin:/bin";
    });
    berth = if berthPackage == "" then fake "berth" else builtins.path { path = berthPackage; name = "berth"; };
    git = fake "git";
    openssh = fake "openssh";
    systemd = fake "systemd";
    coreutils = fake "coreutils";
    stdenv.hostPlatform.system = system;
  };
  nixosStubs = {
    options = {
      assertions = list;
      users.groups = loose;
      environment.systemPackages = list;
      environment.etc = loose;
      systemd.services = loose;
      system.checks = list;
      networking.hostName = mkOption { type = types.str; };
      networking.firewall.allowedTCPPorts = mkOption { type = types.listOf types.port; default = [ ]; };
      networking.proxy.envVars = mkOption { type = types.attrsOf types.str; default = { }; };
      nix.enable = mkOption { type = types.bool; default = true; };
      nix.package = mkOption { type = types.anything; default = fake "nix"; };
    };
  };
  # The flake's outputs, with a nixpkgs made of the stubs above.
  flake = (import ../../flake.nix).outputs {
    self = flake;
    nixpkgs = { inherit lib; legacyPackages.${system} = pkgs // { buildGoModule = _: pkgs.berth; }; };
  };
  berthModules = if viaFlake then [ flake.nixosModules.default flake.nixosModules.default ] else [ ../module.nix ];
  eval = lib.evalModules {
    modules = [
      nixosStubs
      { _module.args.pkgs = pkgs; }
      {
        networking.hostName = hostName;
        networking.proxy.envVars = lib.optionalAttrs (proxy != "") { http_proxy = proxy; https_proxy = proxy; };
        services.berth = { enable = true; inherit openFirewall; settings = builtins.fromJSON settingsJSON; };
      }
    ] ++ berthModules;
  };
  c = eval.config;
in
{
  config = c.services.berth.configFile;
  failedAssertions = map (a: a.message) (lib.filter (a: !a.assertion) c.assertions);
  service = c.systemd.services.berth;
  firewall = c.networking.firewall.allowedTCPPorts;
  takeover = c.systemd.services.berth-takeover;
  checks = map (d: d.drvPath) c.system.checks;
  package = "${c.services.berth.package}";
}
