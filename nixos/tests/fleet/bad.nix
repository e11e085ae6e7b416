# A revision whose switch leaves a failed unit: berth must re-activate the
# previous system and leave the boot entry alone.
{ pkgs, ... }:
{
  environment.etc."fleet-revision".text = "bad\n";
  systemd.services.fleet-broken = {
    wantedBy = [ "multi-user.target" ];
    serviceConfig = { Type = "oneshot"; ExecStart = "${pkgs.coreutils}/bin/false"; };
  };
}
