# services.berth-hub: the admin's server of a berth fleet (docs/hub.md).
# Agents connect to it, never the other way round: it needs one open port
# for agents, forge webhooks and the page.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.berth-hub;
  inherit (lib) mkOption types;
  yaml = pkgs.formats.yaml { };
  settings = { database.sqlite = "/var/lib/berth-hub/hub.db"; } // cfg.settings;
  configFile = yaml.generate "berth-hub.yaml" settings;
  port = lib.toInt (lib.last (lib.splitString ":" (settings.listen or ":9430")));
in
{
  options.services.berth-hub = {
    enable = lib.mkEnableOption "the berth hub, which collects reports, tells agents to poll and serves the fleet page";

    package = mkOption {
      type = types.package;
      default = pkgs.berth;
      defaultText = lib.literalExpression "pkgs.berth";
      description = "The berth package; the berth flake's overlay provides pkgs.berth.";
    };

    settings = mkOption {
      type = yaml.type;
      default = { };
      description = ''
        The hub's configuration (docs/hub.md), rendered to YAML. Keys, host
        tokens, webhook secrets and the PostgreSQL DSN are paths to files
        outside the Nix store, readable by the berth-hub user. The database
        defaults to SQLite in /var/lib/berth-hub.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the hub's TCP port (listen) in the firewall.";
    };
  };

  config = lib.mkIf cfg.enable {
    users.users.berth-hub = { isSystemUser = true; group = "berth-hub"; };
    users.groups.berth-hub = { };

    systemd.services.berth-hub = {
      description = "berth hub";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" ];
      wants = [ "network-online.target" ];
      serviceConfig = {
        ExecStart = "${cfg.package}/bin/berth hub --hub-config ${configFile}";
        User = "berth-hub";
        Group = "berth-hub";
        StateDirectory = "berth-hub";
        StateDirectoryMode = "0700";
        Restart = "on-failure";
        NoNewPrivileges = true;
        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
      };
    };

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ port ];
  };
}
