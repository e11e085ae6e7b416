# What every fleet host of the VM test runs, in every revision: the
# test driver's instrumentation (so the guest stays reachable after a
# switch), its fixed address, and berth. Nodes sort by name, so the test
# driver numbers them client (1), server (2), sftphost (3).
{ config, lib, pkgs, modulesPath, ... }:
let
  keys = import ./keys.nix { inherit pkgs; };
  sftp = config.networking.hostName == "sftphost";
  address = if sftp then "192.168.1.3" else "192.168.1.1";
in
{
  imports = [
    "${modulesPath}/virtualisation/qemu-vm.nix"
    "${modulesPath}/testing/test-instrumentation.nix"
  ];
  system.stateVersion = lib.trivial.release;

  # qemu-vm's root disk has no partition table, so GRUB cannot be installed
  # on it and every `switch-to-configuration boot` (berth's promote) would
  # fail. As nixpkgs' own switch tests do, the boot loader install is
  # replaced: it records which system it was asked to make the boot
  # default, for the test to compare with the system profile.
  system.build.installBootLoader = lib.mkForce (pkgs.writeShellScript "berth-vm-test-install-bootloader" ''
    echo "$1" > /run/berth-vm-test-bootloader
  '');
  virtualisation.vlans = [ 1 ];
  networking.interfaces.eth1.ipv4.addresses = lib.mkForce [{ inherit address; prefixLength = 24; }];
  networking.firewall.allowedTCPPorts = [ 9420 ];

  # The client key must not be in the store as far as berth is concerned:
  # it is copied out at activation, as a real deployment's secret would be
  # placed by the files tree or a secrets tool.
  system.activationScripts.berthTestKey = ''
    install -D -m 0600 ${keys}/client /var/lib/berth-keys/id_ed25519
    install -D -m 0644 ${keys}/known_hosts /etc/berth/known_hosts
    (umask 077; echo vm-test-secret > /var/lib/berth-keys/webhook)
  '';

  services.berth = {
    enable = true;
    # nixos/moduletest renders these through the module and runs
    # berth check-config on them, for both kinds of host.
    settings = import ./settings.nix { inherit sftp; };
  };
}
