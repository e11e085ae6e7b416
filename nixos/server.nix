# services.berth-server: the SFTP side of a berth fleet.
#
# Each host gets a system user that can do nothing but SFTP inside its own
# chroot, <root>/<host>:
#
#   config/   root:<host's group> 0750: what the host applies (written by
#             berth publish); the host can read it, not change it, and no
#             other user can read it (berth publish refuses a config/
#             that others can read: it holds the host's secrets)
#   reports/  owned by the host's user: where the agent uploads its reports
#
# sshd requires every component of a ChrootDirectory to be root-owned and
# not group- or world-writable, so root must be such a path too.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.berth-server;
  inherit (lib) mkOption types;

  hostOptions = { name, ... }: {
    options = {
      user = mkOption {
        type = types.strMatching "[a-z_][a-z0-9_-]{0,31}";
        default = "berth-${name}";
        description = "System user the host logs in as.";
      };
      publicKeys = mkOption {
        type = types.listOf types.str;
        description = "SSH public keys of the host's agent (the public half of its source.sftp key).";
      };
    };
  };

  hostNames = lib.attrNames cfg.hosts;
  chroot = name: "${cfg.root}/${name}";

  # One Match block per host: a chrooted internal-sftp session and nothing
  # else (no shell, no forwarding of any kind, no TTY).
  matchBlock = name: host: ''
    Match User ${host.user}
      ChrootDirectory ${chroot name}
      ForceCommand internal-sftp -d /
      AuthenticationMethods publickey
      PasswordAuthentication no
      KbdInteractiveAuthentication no
      DisableForwarding yes
      PermitTTY no
      PermitTunnel no
  '';

  tmpfiles = name: host: [
    "d ${chroot name} 0755 root root -"
    "d ${chroot name}/config 0750 root ${host.user} -"
    "d ${chroot name}/reports 0750 ${host.user} ${host.user} -"
  ];

  user = _: host: lib.nameValuePair host.user {
    isSystemUser = true;
    group = host.user;
    home = "/var/empty";
    createHome = false;
    description = "berth host (SFTP only)";
    # "restrict" turns off forwarding, PTY and rc files for the key
    # whatever sshd's configuration says.
    openssh.authorizedKeys.keys = map (k: "restrict ${k}") host.publicKeys;
  };
in
{
  options.services.berth-server = {
    enable = lib.mkEnableOption "the SFTP server berth hosts pull their configuration from";

    root = mkOption {
      type = types.strMatching "/.+";
      default = "/srv/berth";
      description = "Directory holding one chroot per host. It and its parents must be root-owned and not group- or world-writable.";
    };

    hosts = mkOption {
      type = types.attrsOf (types.submodule hostOptions);
      default = { };
      example = lib.literalExpression ''{ laptop1.publicKeys = [ "ssh-ed25519 AAAA... root@laptop1" ]; }'';
      description = "The fleet's hosts, by host name (the name berth uses, source.host_dir's {hostname}).";
    };

    publish = {
      enable = mkOption {
        type = types.bool;
        default = false;
        description = "Run publish.script on a timer to copy the fleet repository into the chroots.";
      };
      script = mkOption {
        type = types.lines;
        default = "";
        example = "berth publish ... (see docs/sftp.md)";
        description = "Shell script that publishes the fleet into the hosts' config/ directories; berth is on its PATH.";
      };
      onCalendar = mkOption {
        type = types.str;
        default = "*:0/5";
        description = "systemd OnCalendar of the publish timer.";
      };
      package = mkOption {
        type = types.package;
        default = pkgs.berth;
        defaultText = lib.literalExpression "pkgs.berth";
        description = "The berth package put on the publish script's PATH.";
      };
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = !(lib.hasPrefix "/tmp/" cfg.root || lib.hasPrefix "/var/tmp/" cfg.root);
        message = "services.berth-server.root: ${cfg.root} is under a world-writable directory; sshd refuses such a ChrootDirectory";
      }
      {
        assertion = lib.all (h: h.publicKeys != [ ]) (lib.attrValues cfg.hosts);
        message = "services.berth-server.hosts: every host needs at least one public key";
      }
      {
        assertion = lib.all (n: builtins.match "[A-Za-z0-9][A-Za-z0-9_-]{0,62}" n != null) hostNames;
        message = "services.berth-server.hosts: host names are letters, digits, - and _, up to 63 characters";
      }
      {
        assertion = !cfg.publish.enable || cfg.publish.script != "";
        message = "services.berth-server.publish.script: set it when publish.enable is true";
      }
    ];

    services.openssh.enable = true;
    services.openssh.extraConfig = lib.concatStrings (lib.mapAttrsToList matchBlock cfg.hosts);

    users.users = lib.mapAttrs' user cfg.hosts;
    users.groups = lib.mapAttrs' (_: h: lib.nameValuePair h.user { }) cfg.hosts;

    systemd.tmpfiles.rules = [ "d ${cfg.root} 0755 root root -" ]
      ++ lib.concatLists (lib.mapAttrsToList tmpfiles cfg.hosts);

    systemd.services.berth-publish = lib.mkIf cfg.publish.enable {
      description = "Publish the berth fleet to the hosts' SFTP chroots";
      # ssh for a fleet repository cloned or pulled over SSH.
      path = [ cfg.publish.package pkgs.git pkgs.openssh ];
      serviceConfig.Type = "oneshot";
      script = cfg.publish.script;
    };
    systemd.timers.berth-publish = lib.mkIf cfg.publish.enable {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnCalendar = cfg.publish.onCalendar;
        Persistent = true;
      };
    };
  };
}
