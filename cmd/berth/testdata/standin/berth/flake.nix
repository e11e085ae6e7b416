# A stand-in for berth's flake in berth's tests: the module declares
# nothing; the stand-in nixpkgs renders services.berth.settings itself.
{
  outputs = { self }: {
    nixosModules.default = { ... }: { };
  };
}
