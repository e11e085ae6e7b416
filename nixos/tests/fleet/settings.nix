# services.berth.settings of the VM test's fleet hosts: the git-fed
# client, or the SFTP-fed host.
{ sftp }:
{
  # The test starts each reconcile itself (berth run, the webhook).
  schedule.cron = "@every 24h";
  schedule.jitter = "0";
  activation.settle = "5s";
  # A dead-man window short enough for the test to wait for; it may
  # not be shorter than test_timeout + settle + max_deadline.
  activation.test_timeout = "3m";
  health.max_deadline = "1m";
  # At least the reachability timeout plus 6s, at most max_deadline.
  health.reachability.deadline = "1m";
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
}
