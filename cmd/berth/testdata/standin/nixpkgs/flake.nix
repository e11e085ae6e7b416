# A stand-in for nixpkgs in berth's tests, where nixpkgs cannot be fetched:
# lib.nixosSystem evaluates the host's modules minimally (eval.nix) and
# builds, without nixpkgs, a toplevel holding the merged configuration and
# the berth settings it renders.
{
  outputs = { self }: {
    lib.nixosSystem = { modules, ... }: import ./eval.nix { inherit modules; };
  };
}
