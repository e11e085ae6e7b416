# A revision whose activation kills the agent and stops its service, so
# that no verdict ever comes: the dead-man timer alone must re-activate the
# previous system.
{ pkgs, ... }:
{
  environment.etc."fleet-revision".text = "deadman\n";
  system.activationScripts.berthVmTestKillAgent = ''
    ${pkgs.systemd}/bin/systemctl kill --signal=SIGKILL berth.service || true
    ${pkgs.systemd}/bin/systemctl stop --no-block berth.service || true
  '';
}
