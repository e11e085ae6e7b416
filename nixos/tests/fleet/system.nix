# The NixOS system of a fleet host in the VM test, evaluated the same way
# on the machine running the test (to build it ahead, as the guests have
# no network) and inside the guest by the fleet repository's flake (which
# imports this file from its berth input). Both sides must get the same
# store path, so nothing here may depend on where it is evaluated.
{ berth, nixpkgs, host, variant }:
import "${nixpkgs}/nixos/lib/eval-config.nix" {
  system = "x86_64-linux";
  modules = [
    berth.nixosModules.default
    ./host.nix
    variant
    { networking.hostName = host; }
  ];
}
