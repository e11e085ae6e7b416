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
    settings = {
      # The test starts each reconcile itself (berth run, the webhook).
      schedule.cron = "@every 24h";
      schedule.jitter = "0";
      activation.settle = "5s";
      # A dead-man window short enough for the test to wait for; it may
      # not be shorter than test_timeout + settle + max_deadline.
      activation.test_timeout = "3m";
      health.max_deadline = "1m";
      health.deadman.window = "5m";
      webhook = {
        enabled = true;
        listen = ":9420";
        secret_file = "/var/lib/berth-keys/webhook";
      };
      source = if sftp then {
        # The SFTP source's keys (issue 4).
        sftp = {
          address = "192.168.1.2:22";
          user = "berth-sftphost";
          ssh_key_file = "/var/lib/berth-keys/id_ed25519";
          known_hosts_file = "/etc/berth/known_hosts";
        };
      } else {
        git = {
          url = "ssh://git@192.168.1.2/srv/git/fleet.git";
          ssh_key_file = "/var/lib/berth-keys/id_ed25519";
          known_hosts_file = "/etc/berth/known_hosts";
        };
      };
    };
  };
}
