# What nixos-generate-config --show-hardware-config prints, reduced to what
# the stand-in evaluation reads.
{ lib, modulesPath, ... }:
{
  fileSystems."/" = { device = "/dev/disk/by-label/nixos"; fsType = "ext4"; };
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}
