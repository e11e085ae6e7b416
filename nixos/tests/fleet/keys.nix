# Test-only SSH keys, made at build time: a host key for the server and a
# client key shared by the fleet hosts. Never use keys from the store for
# anything real.
{ pkgs }:
pkgs.runCommand "berth-vm-test-keys" { nativeBuildInputs = [ pkgs.openssh ]; } ''
  mkdir $out
  ssh-keygen -q -t ed25519 -N "" -C server -f $out/server
  ssh-keygen -q -t ed25519 -N "" -C fleet -f $out/client
  echo "192.168.1.2 $(cut -d' ' -f1-2 $out/server.pub)" > $out/known_hosts
''
