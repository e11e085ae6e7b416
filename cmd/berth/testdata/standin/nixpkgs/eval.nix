# A minimal module evaluation: modules are paths, functions or attribute
# sets; imports are followed; definitions are merged (attribute sets
# recursively, lists concatenated, other values must agree). The toplevel
# is built for config.nixpkgs.hostPlatform, which the hardware
# configuration sets.
{ modules }:
let
  lib = {
    mkDefault = x: x;
    mkForce = x: x;
  };
  args = { inherit lib config; pkgs = { }; modulesPath = "/modules"; options = { }; };
  load = m:
    let
      f = if builtins.isPath m || builtins.isString m then import m else m;
      v = if builtins.isFunction f then f args else f;
      own = if v ? config then v.config else builtins.removeAttrs v [ "imports" "options" ];
    in [ own ] ++ builtins.concatMap load (v.imports or [ ]);
  merge = a: b:
    if builtins.isAttrs a && builtins.isAttrs b then
      a // builtins.mapAttrs (n: v: if a ? ${n} then merge a.${n} v else v) b
    else if builtins.isList a && builtins.isList b then a ++ b
    else if a == b then a
    else throw "conflicting definitions: ${builtins.toJSON a} and ${builtins.toJSON b}";
  config = builtins.foldl' merge { } (builtins.concatMap load modules);
  hostName = config.networking.hostName;
  toplevel = derivation {
    name = "nixos-system-${hostName}-stand-in";
    system = config.nixpkgs.hostPlatform;
    builder = "/bin/sh";
    PATH = "/usr/bin:/bin";
    args = [ "-c" "mkdir $out && printf %s \"$settings\" > $out/berth-config.json && printf %s \"$config\" > $out/config.json" ];
    # The configuration file the berth module would write: its hostname
    # defaults to networking.hostName.
    settings = builtins.toJSON ({ hostname = hostName; } // config.services.berth.settings);
    config = builtins.toJSON config;
  };
in
{
  config = merge config { system.build.toplevel = toplevel; };
}
