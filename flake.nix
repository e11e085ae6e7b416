{
  description = "berth: a GitOps pull reconciler for NixOS fleets";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # Not derived from the git revision: the VM test evaluates this flake
      # again inside a guest, from a copy without one, and needs the same
      # derivation.
      version = "0.1.0";

      # berth for a package set. go.mod asks for Go 1.26.0: nixpkgs must
      # provide it as the default Go of buildGoModule, as NixOS 26.05
      # does (docs/nixos.md, "Supported NixOS releases").
      berthFor = pkgs: pkgs.buildGoModule {
        pname = "berth";
        inherit version;
        src = lib.fileset.toSource {
          root = ./.;
          fileset = lib.fileset.unions [
            ./go.mod
            ./go.sum
            (lib.fileset.fileFilter (f: f.hasExt "go") ./.)
          ];
        };
        # The hash of `go mod vendor` for go.mod and go.sum. e2e/check-nix
        # recomputes it and fails when it is stale; docs/operations.md says
        # how to update it.
        vendorHash = "sha256-3prA5ZpMIuJEOd6tfqYzytJbJ4NEcL6P0QlUPkYnxiQ=";
        subPackages = [ "cmd/berth" ];
        env.CGO_ENABLED = 0;
        # berth version, status, reports and metrics say which berth runs.
        ldflags = [ "-s" "-w" "-X github.com/berth-nix/berth/internal/buildinfo.version=${version}" ];
        # The tests need root, git, sshd, systemd and Nix itself; CI runs
        # them (e2e/test-all), and checks.vm tests the NixOS integration.
        doCheck = false;
        meta = {
          description = "GitOps pull reconciler for NixOS fleets";
          mainProgram = "berth";
          platforms = lib.platforms.linux;
        };
      };

      # withPackage makes a module default to this flake's berth, so that
      # hosts need not apply the overlay. The key lets the module system
      # drop a second import of the same output (two modules of a host
      # both importing berth.nixosModules.default) instead of defining the
      # package twice.
      withPackage = path: set: { pkgs, ... }: {
        key = "${toString path}#with-flake-package";
        imports = [ path ];
        config = lib.setAttrByPath set (lib.mkDefault self.packages.${pkgs.stdenv.hostPlatform.system}.default);
      };
    in
    {
      packages = forAllSystems (pkgs: rec {
        berth = berthFor pkgs;
        default = berth;
      });

      overlays.default = final: _prev: { berth = berthFor final; };

      nixosModules = {
        default = withPackage ./nixos/module.nix [ "services" "berth" "package" ];
        server = withPackage ./nixos/server.nix [ "services" "berth-server" "publish" "package" ];
        hub = withPackage ./nixos/hub.nix [ "services" "berth-hub" "package" ];
      };

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = with pkgs; [ go gopls gotools git openssh nix ];
        };
      });

      # The VM test boots NixOS guests with KVM; it is defined where the
      # test driver runs them.
      checks = forAllSystems (pkgs: {
        package = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
      } // lib.optionalAttrs (pkgs.stdenv.hostPlatform.system == "x86_64-linux") {
        vm = import ./nixos/tests/vm.nix { inherit pkgs self nixpkgs; };
      });
    };
}
