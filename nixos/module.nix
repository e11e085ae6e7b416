# services.berth: the berth agent on a NixOS host.
#
# services.berth.settings mirrors berth's YAML configuration file key for
# key: same names, same nesting (docs/configuration.md). Every typed key
# defaults to null, which leaves it out of the file so that berth's own
# default applies. Keys without a typed option can still be set under
# settings; berth itself rejects keys it does not know.
{ config, lib, pkgs, ... }:
let
  cfg = config.services.berth;
  inherit (lib) mkOption types;
  yaml = pkgs.formats.yaml { };
  configPath = "/etc/berth/config.yaml";

  # A Go duration as berth reads it: "90s", "15m", "1h30m", "0".
  duration = types.strMatching "0|([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+";
  # An absolute path given as a string. A path literal (./token) would be
  # copied into the world-readable store, so the type refuses it.
  absPath = types.strMatching "/.*";

  # key declares one key of the configuration file.
  key = type: description: mkOption {
    type = types.nullOr type;
    default = null;
    inherit description;
  };

  # checkOptions are the keys of one health check (docs/health.md).
  checkOptions = {
    name = key types.str "Unique name of the check, shown in verdicts.";
    kind = key (types.enum [ "command" "http" "tcp" "unit" "reachability" ]) "What the check does.";
    phase = key (types.enum [ "verify" "preflight" "both" ]) "When it runs (berth: verify).";
    command = key (types.listOf types.str) "command: argv; the program is an absolute path. Passes on exit status 0.";
    user = key types.str "command: run as this user (berth: the agent's).";
    url = key types.str "http: the URL to GET.";
    status = key types.str "http: accepted status codes, such as 200-299,304 (berth: 200-399).";
    body = key types.str "http: text the body must contain.";
    insecure_skip_verify = key types.bool "http: do not verify TLS certificates (berth: false).";
    address = key types.str "tcp: host:port to connect to.";
    unit = key types.str "unit: a unit that must be active, or a oneshot that succeeded.";
    timeout = key duration "Bound on one attempt (berth: 10s).";
    interval = key duration "Pause between attempts (berth: 2s).";
    deadline = key duration "Retries end this long after the phase began (berth: 1m).";
  };

  # hookOptions are the keys of one hook (docs/hooks.md).
  hookOptions = {
    name = key types.str "Unique name of the hook, shown in the attempt log.";
    command = key (types.listOf types.str) "argv; the program is an absolute path.";
    timeout = key duration "The hook is killed after this and counts as failed (berth: 5m).";
  };

  settingsOptions = {
    hostname = key types.str "Selects the host directory and flake attribute. Defaults to networking.hostName.";
    state_dir = key absPath "State, history, logs, the fetched repository and staged artifacts (berth: /var/lib/berth).";
    source = {
      host_dir = key types.str "This host's directory in the repository; {hostname} is replaced (berth: hosts/{hostname}).";
      timeout = key duration "Bound on every network operation (berth: 2m).";
      max_files = key types.ints.positive "Most files the host tree may hold (berth: 100000).";
      max_bytes = key types.ints.positive "Most bytes the host tree may hold (berth: 1 GiB).";
      max_depth = key types.ints.positive "Deepest directory nesting in the host tree (berth: 64).";
      max_fetch_bytes = key types.ints.positive "Most bytes one git fetch may add to the local repository (berth: 4294967296).";
      git = {
        url = key types.str "Repository URL: https://, http://, ssh://, user@host:path or file://. Never with credentials.";
        branch = key types.str "Branch to follow (berth: main).";
        token_file = key absPath "File holding the HTTPS token, read again on every poll. Keep it out of the Nix store.";
        username = key types.str "User name sent with the token (berth: berth).";
        ssh_key_file = key absPath "Private key for an ssh URL. Keep it out of the Nix store.";
        known_hosts_file = key absPath "known_hosts file pinning the git server's host key; required for ssh URLs.";
        allow_history_rewrite = key types.bool "Accept a head that does not descend from the last applied commit (berth: false).";
      };
      sftp = {
        address = key types.str "SFTP server as host:port (port 22 when left out). Set either git or sftp.";
        user = key types.str "This host's chrooted account on the SFTP server.";
        ssh_key_file = key absPath "The host's private key for the SFTP server. Keep it out of the Nix store.";
        known_hosts_file = key absPath "known_hosts file pinning the SFTP server's host key; required.";
        path = key types.str "Directory inside the chroot that berth publish writes (berth: config).";
      };
    };
    nix = {
      attribute = key types.str "Flake attribute of the system; {hostname} is replaced.";
      build_timeout = key duration "Bound on one nix build (berth: 2h).";
      command = key types.str "The nix binary (berth: nix, from the agent's PATH).";
      profile = key absPath "System profile promoted on success (berth: /nix/var/nix/profiles/system).";
      gc_root_dir = key absPath "Directory of GC roots for the built and the last good system (berth: /nix/var/nix/gcroots/berth).";
      quiet = {
        enabled = key types.bool "Run nix builds and downloads in a transient systemd scope at low priority (berth: true; docs/lifecycle.md).";
        cpu_weight = key types.ints.positive "CPUWeight of the scope (berth: 20).";
        io_weight = key types.ints.positive "IOWeight of the scope (berth: 20).";
        nice = key types.int "Nice level of nix (berth: 10).";
        memory_max = key types.ints.unsigned "MemoryMax of the scope in bytes; 0 sets no cap (berth: 0).";
      };
    };
    schedule = {
      cron = key types.str "When to poll: five cron fields or @every 15m, @hourly, ... (berth: @every 15m).";
      jitter = key duration "Random delay up to this before each scheduled poll (berth: 1m).";
      backoff_max = key duration "Longest wait between retries after transient failures (berth: 1h).";
    };
    activation = {
      preflight = key (types.enum [ "baseline" "strict" ]) "baseline: units failed before the switch do not count; strict: any failed unit blocks the deploy (berth: baseline).";
      test_timeout = key duration "Bound on switch-to-configuration test (berth: 10m).";
      boot_timeout = key duration "Bound on switch-to-configuration boot (berth: 5m).";
      settle = key duration "Wait after the switch before judging units (berth: 3s).";
      lock_wait = key duration "How long to wait for another switch's lock (berth: 10m).";
      inhibitors = key (types.enum [ "boot" "hold" "force" ]) "A system whose switch inhibitors changed (e.g. systemd): boot installs it for the next boot, hold applies nothing, force switches with NIXOS_NO_CHECK=1 (berth: boot; docs/lifecycle.md).";
    };
    history.keep = key types.ints.positive "Attempts kept in the history (berth: 50).";
    log.level = key (types.enum [ "debug" "info" "warn" "error" ]) "Log level (berth: info).";
    control = {
      socket = key absPath "Unix socket the CLI talks to (berth: /run/berth/berth.sock).";
      group = key types.str "Group that may read status and history through the socket (berth: berth).";
      postpone_max = key duration "Longest a member of the group may postpone an update with berth postpone, once per update; 0 turns postponing off (berth: 4h).";
    };
    webhook = {
      enabled = key types.bool "Listen for push notifications that make the agent poll at once (berth: false).";
      listen = key types.str "host:port of the webhook (berth: :9420).";
      secret_file = key absPath "File holding the webhook's shared secret; required when enabled. Keep it out of the Nix store.";
      tls_cert_file = key absPath "TLS certificate; with tls_key_file, the webhook serves HTTPS.";
      tls_key_file = key absPath "TLS private key. Keep it out of the Nix store.";
      max_body = key types.ints.positive "Largest request body in bytes (berth: 1 MiB).";
      min_interval = key duration "Least time between two reconciles the webhook starts (berth: 10s).";
      branch = key types.str "Branch whose pushes count (berth: the git source's branch).";
    };
    metrics = {
      enabled = key types.bool "Serve Prometheus metrics (berth: false).";
      listen = key types.str "host:port of /metrics (berth: 127.0.0.1:9421).";
    };
    files = {
      root = key absPath "Where the host's verbatim files tree is installed (berth: /).";
      host_key = key absPath "Private key that decrypts the tree's encrypted files (NAME.age); the SSH host key (berth: /etc/ssh/ssh_host_ed25519_key; docs/secrets.md).";
    };
    report = {
      http_url = key types.str "URL that receives each report as a JSON POST; {hostname} is replaced. Never with credentials.";
      token_file = key absPath "File holding this host's bearer token for report.http_url. Keep it out of the Nix store.";
      heartbeat = key duration "With the SFTP source, how often a report that says nothing new is uploaded anyway (berth: 30m). Keep it below berth fleet status --stale-after.";
    };
    hub = {
      url = key types.str "URL of the berth hub this agent reports to and takes poll-now events from (docs/hub.md). Never with credentials.";
      token_file = key absPath "File holding this host's hub token. Keep it out of the Nix store.";
      tls_cert_file = key absPath "Client certificate for a hub that asks for one; with tls_key_file.";
      tls_key_file = key absPath "Client certificate's private key. Keep it out of the Nix store.";
      ca_file = key absPath "The only CA the hub's certificate may chain to (berth: the system's).";
      max_wait = key duration "How long a new configuration waits for an unreachable hub's rollout gate before it is applied anyway (docs/rollouts.md); 0 waits for ever.";
    };
    health = {
      checks = key (types.listOf (types.submodule { options = checkOptions; })) "Health checks of the agent (docs/health.md).";
      reachability = {
        enabled = key types.bool "After every switch, check that the source still answers (berth: true).";
        timeout = key duration "Bound on one reachability attempt (berth: 30s).";
        interval = key duration "Pause between reachability attempts (berth: 5s).";
        deadline = key duration "How long the source may stay unreachable after a switch (berth: 2m).";
      };
      host_checks_file = key types.str "Checks file read from the host's directory of each revision; empty ignores it (berth: berth-checks.yaml).";
      max_deadline = key duration "Bound on every check's deadline, the host file's too (berth: 5m).";
      deadman = {
        enabled = key types.bool "Arm a timer before each switch that re-activates the previous system unless the agent reaches a verdict (berth: true).";
        window = key duration "When the dead-man timer fires (berth: test_timeout + settle + max_deadline + 2m).";
      };
    };
    hooks = {
      pre = key (types.listOf (types.submodule { options = hookOptions; })) "Commands run after the build, before anything changes; a failure aborts the attempt (docs/hooks.md).";
      post = key (types.listOf (types.submodule { options = hookOptions; })) "Commands run after each attempt with its outcome (docs/hooks.md).";
    };
    trust = {
      git = {
        allowed_signers = key absPath "allowed_signers file of SSH keys trusted to sign the branch head (namespace git); when set, unsigned or untrusted heads are refused (docs/security.md).";
        openpgp_keyring = key absPath "Armored OpenPGP public keyring trusted to sign the branch head; when set, unsigned or untrusted heads are refused.";
      };
      sftp.allowed_signers = key absPath "allowed_signers file of SSH keys trusted to sign published manifests (berth publish --sign-key); when set, unsigned manifests are refused.";
      max_age = key duration "Report the source as stale after it answered the same revision, or nothing, for this long; 0 turns it off (berth: 0).";
      require_encrypted_files = key (types.listOf (types.strMatching "/.*")) "Installed paths (covering everything below them; / for the whole tree) or patterns such as /etc/*/*.key where the files tree may only hold encrypted files (NAME.age); a plaintext file there refuses the revision (docs/secrets.md).";
    };
    prebuilt = {
      substituters = key (types.listOf types.str) "Binary caches a host directory's prebuilt.json may name; one that names none is fetched from all of them. Signatures are checked against nix.settings.trusted-public-keys (docs/prebuilt.md).";
      match_flake = key types.bool "Require the flake beside prebuilt.json to evaluate to the declared system (berth: false).";
    };
    reboot = {
      policy = key (types.enum [ "never" "window" ]) "never: only report that a reboot is needed; window: reboot automatically inside reboot.window (berth: never; docs/reboots.md).";
      window = key types.str "Daily reboot window HH:MM-HH:MM in local time, may cross midnight; required with policy window.";
      delay = key duration "Time between warning the users and rebooting (berth: 5m).";
      allow_with_sessions = key types.bool "Reboot even while a user session is active (berth: false).";
    };
    notify.enabled = key types.bool "Send desktop notifications to logged-in graphical users (berth: false; docs/notifications.md).";
    power.defer_on_battery = key types.bool "Hold reconciles while the machine runs on battery (berth: false).";
    retention = {
      generations = key types.ints.unsigned "Newest system profile generations kept; the booted, running and last good systems are kept besides; 0 keeps all (berth: 5; docs/lifecycle.md).";
      gc_min_free = key types.ints.unsigned "Collect garbage when /nix has fewer free bytes than this; 0 never collects (berth: 0).";
    };
    drift.policy = key (types.enum [ "report" "reapply" "hold" ]) "What to do when the running system is not the one berth applied: report, reapply the branch, or hold (berth: report; docs/lifecycle.md).";
  };

  # prune drops unset keys, and the sections left empty by that.
  prune = v:
    if builtins.isAttrs v then
      lib.filterAttrs (_: x: x != null && x != { }) (lib.mapAttrs (_: prune) v)
    else if builtins.isList v then map prune v
    else v;

  rendered = prune cfg.settings;
  configFile = yaml.generate "berth.yaml" rendered;

  # leaves lists every [path value] pair of a rendered settings tree.
  leaves = prefix: v:
    if builtins.isAttrs v then
      lib.concatLists (lib.mapAttrsToList (n: x: leaves (prefix ++ [ n ]) x) v)
    else if builtins.isList v then
      lib.concatLists (lib.imap0 (i: x: leaves (prefix ++ [ "[${toString i}]" ]) x) v)
    else [{ path = prefix; value = v; }];

  # optionPath writes a leaf's path as an option name: source.git.url,
  # health.checks[0].url.
  optionPath = path: lib.concatStrings (lib.imap0 (i: x: if i == 0 || lib.hasPrefix "[" x then x else ".${x}") path);

  # What a leaf holding a URL should use instead of credentials in it.
  urlSecretAdvice = path:
    let p = lib.concatStringsSep "." (lib.filter (x: !lib.hasPrefix "[" x) path); in
    if p == "source.git.url" then "set source.git.token_file (and username) instead"
    else if p == "report.http_url" then "set report.token_file instead"
    else if p == "prebuilt.substituters" then "give the cache's credentials to Nix in a netrc file outside the store (nix.settings.netrc-file) instead"
    else if p == "health.checks.url" then "health checks have no token_file: use a command check that reads the secret from a file outside the store"
    else "keep credentials in a file outside the Nix store";

  # urlProblem says why a string that is a URL carries a secret, or null:
  # user:password@, any user@ on http(s) (a token in the user part,
  # https://TOKEN@host/), or a credential in the query string.
  urlProblem = v:
    let
      m = builtins.match "([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)@[^/?#]*([/?#].*)?" v;
      scheme = lib.toLower (builtins.elemAt m 0);
      user = builtins.elemAt m 1;
      query = builtins.match "[^?#]*[?]([^#]*).*" v;
      secretParam = "(.*&)?(token|access_token|private_token|auth|auth_token|api_key|apikey|key|secret|password|passwd|sig|signature)=.*";
    in
    if m != null && lib.hasInfix ":" user then "the URL carries credentials (a password)"
    else if m != null && lib.elem scheme [ "http" "https" ] then "the URL carries credentials (in its user part)"
    else if query != null && builtins.match secretParam (lib.toLower (builtins.head query)) != null then "the URL carries credentials (in its query string)"
    else null;

  # secretProblem says what is wrong with a leaf that holds or points to a
  # secret badly, or null. Secrets are only ever paths to files: an inline
  # value, or a file in the store, would be readable by every local user.
  secretProblem = l:
    let
      name = lib.last l.path;
      where = "services.berth.settings.${optionPath l.path}";
      isString = builtins.isString l.value;
      url = if isString then urlProblem l.value else null;
    in
    if builtins.match "(.*_)?(token|password|passphrase|secret|private_key)" name != null then
      "${where}: secrets are never inline; put the value in a file outside the Nix store and set ${name}_file"
    else if builtins.match "(.*_)?(token|password|passphrase|secret|key)_file|host_key" name != null && isString && lib.hasPrefix builtins.storeDir l.value then
      "${where}: ${l.value} is in the world-readable Nix store; keep secrets in a file outside it (e.g. /run/keys or /var/lib/secrets)"
    else if url != null then
      "${where}: ${url}, and the rendered file is in the world-readable Nix store; ${urlSecretAdvice l.path}"
    else null;

  webhook = rendered.webhook or { };
  webhookListen = webhook.listen or ":9420";
  # The port of webhook.listen ("host:port", ":port", "[::1]:port"), or
  # null when it has none.
  webhookPortText = builtins.match ".*:([0-9]+)" webhookListen;
  webhookPort = if webhookPortText == null then null else lib.toInt (builtins.head webhookPortText);
  openWebhookPort = cfg.openFirewall && webhook.enabled or false;

  hostname = cfg.settings.hostname;

  problems = lib.filter (p: p != null) (map secretProblem (leaves [ ] rendered))
    ++ lib.optional (hostname == "")
      "services.berth.settings.hostname is empty: it names this host's directory (hosts/{hostname}) and flake attribute; set networking.hostName, or services.berth.settings.hostname"
    ++ lib.optional (openWebhookPort && webhookPort == null)
      "services.berth.settings.webhook.listen = \"${webhookListen}\" has no port, so services.berth.openFirewall cannot open it; write host:port, such as \"${webhookListen}:9420\" or \":9420\"";

  # The rendered file, checked at build time by the berth that will read
  # it: a file berth refuses fails the system build instead of leaving
  # the agent in a crash loop after the switch.
  checkedConfig = pkgs.runCommand "berth-check-config" { } ''
    ${cfg.package}/bin/berth --config ${configFile} check-config > $out
  '';

  # What the agent is started with. berth-takeover reads it back from the
  # running agent's environment, which survives any wrapper around the
  # binary.
  installed = "${cfg.package} ${configFile}";
in
{
  options.services.berth = {
    enable = lib.mkEnableOption "the berth GitOps agent, which pulls this host's configuration and applies it";

    package = mkOption {
      type = types.package;
      default = pkgs.berth;
      defaultText = lib.literalExpression "pkgs.berth";
      description = "The berth package; the berth flake's overlay provides pkgs.berth.";
    };

    settings = mkOption {
      default = { };
      description = ''
        berth's configuration, rendered to ${configPath}. Names and nesting
        are those of the YAML file. Secrets are never values here: give
        paths to files outside the Nix store (token_file, ssh_key_file).
      '';
      type = types.submodule {
        freeformType = yaml.type;
        options = settingsOptions;
      };
    };

    configFile = mkOption {
      type = types.path;
      readOnly = true;
      default = configFile;
      defaultText = lib.literalExpression "the rendered settings, in the Nix store";
      description = "The rendered configuration file; it holds paths to secrets, never secrets.";
    };

    watchdogSec = mkOption {
      type = types.str;
      default = "5min";
      description = ''
        systemd WatchdogSec of the agent. berth pings from its own goroutine
        every third of this, so a long build does not trip it. A hung agent
        is restarted and finishes or reverts its attempt when it starts.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open the webhook's TCP port in the firewall when the webhook is enabled.";
    };

    checkConfig = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run `berth check-config` on the rendered file while building the
        system (system.checks), so that a file berth would refuse fails the
        build. It runs the package's berth on the build machine: turn it off
        when that cannot run it (cross-compiling).
      '';
    };

    extraPath = mkOption {
      type = types.listOf types.package;
      default = [ ];
      description = "More packages on the agent's PATH, for hooks and health checks.";
    };
  };

  config = lib.mkIf cfg.enable {
    services.berth.settings.hostname = lib.mkDefault config.networking.hostName;

    assertions = map (message: { assertion = false; inherit message; }) problems;

    # Members read status and history through the control socket
    # (control.group); the state files themselves are root-only.
    users.groups.berth = { };

    networking.firewall.allowedTCPPorts = lib.mkIf openWebhookPort (lib.optional (webhookPort != null) webhookPort);

    system.checks = lib.mkIf cfg.checkConfig [ checkedConfig ];

    environment.systemPackages = [ cfg.package ];
    environment.etc."berth/config.yaml".source = configFile;

    systemd.services.berth = {
      description = "berth GitOps agent";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ];
      # The agent starts the switch that replaces its own unit: the switch
      # must neither restart nor stop it (berth-takeover hands over to a
      # new version once that switch is under way).
      restartIfChanged = false;
      unitConfig.X-StopOnRemoval = false;
      # openssh: git over ssh, for the source and for git+ssh flake inputs.
      path = [ config.nix.package pkgs.git pkgs.openssh pkgs.systemd pkgs.coreutils ] ++ cfg.extraPath;
      # The proxy settings reach git and nix (for inputs the agent fetches
      # itself); builds go through nix-daemon, which has its own.
      environment = config.networking.proxy.envVars // {
        BERTH_CONFIG = configPath;
        BERTH_INSTALLED = installed;
        # Builds go through nix-daemon: the agent's sandboxing below must
        # not reach builders, and the daemon's settings stay authoritative.
        NIX_REMOTE = lib.mkIf config.nix.enable "daemon";
      };
      serviceConfig = {
        Type = "notify";
        NotifyAccess = "main";
        ExecStart = "${cfg.package}/bin/berth --config ${configPath} agent";
        Restart = "on-failure";
        RestartSec = 2;
        WatchdogSec = cfg.watchdogSec;
        TimeoutStopSec = "90s";
        MemoryMax = lib.mkDefault "3G"; # room for `nix build`'s evaluation, which runs in this unit; see docs/security.md
        StateDirectory = "berth";
        StateDirectoryMode = "0700";
        # Holds the control socket (control.socket).
        RuntimeDirectory = "berth";
        RuntimeDirectoryMode = "0755";
        # Hardening that activation survives: switch-to-configuration runs
        # in its own transient unit and builds run in nix-daemon, so none
        # of this reaches them. Left off, and why, in docs/security.md.
        PrivateTmp = true;
        ProtectKernelLogs = true;
        ProtectClock = true;
        LockPersonality = true;
        RestrictRealtime = true;
        SystemCallArchitectures = "native";
        UMask = "0077";
      };
    };

    # berth-takeover hands the agent over to a new berth version or
    # configuration file: the agent reads both only when it starts. The
    # switch that installs them restarts this unit (its script names
    # them); it restarts berth without waiting, and the new agent completes
    # the attempt the old one was running, as after any stop. What the
    # running agent was started with is in its environment
    # (BERTH_INSTALLED): a wrapper around the binary keeps the environment,
    # where comparing /proc/PID/exe with the package's bin/berth would not.
    systemd.services.berth-takeover = {
      description = "Hand the berth agent over to the installed berth and configuration";
      wantedBy = [ "multi-user.target" ];
      after = [ "berth.service" ];
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
      };
      script = let
        systemctl = "${pkgs.systemd}/bin/systemctl";
      in ''
        want="${installed}"
        pid=$(${systemctl} show --property=MainPID --value berth.service)
        if [ "''${pid:-0}" -le 0 ]; then
          exit 0
        fi
        have=
        while IFS= read -r -d "" kv; do
          case $kv in BERTH_INSTALLED=*) have=''${kv#BERTH_INSTALLED=} ;; esac
        done < "/proc/$pid/environ" || true
        if [ "$have" != "$want" ]; then
          echo "berth: the agent runs ''${have:-an unknown version}, installed: $want; restarting the agent"
          ${systemctl} restart --no-block berth.service
        fi
      '';
    };
  };
}
