# Lists the configuration keys services.berth.settings declares, as the
# dotted paths config.Keys() uses ("source.git.url", "checks[].name").
# config/keys_test.go compares the two.
#
#   nix-instantiate --eval --strict --json nixos/tests/option-keys.nix
#
# It reads the declarations with ./lib-stub.nix, or with nixpkgs' lib when
# the environment variable BERTH_NIXPKGS_LIB names a lib directory.
let
  libDir = builtins.getEnv "BERTH_NIXPKGS_LIB";
  lib = if libDir == "" then import ./lib-stub.nix else import libDir;
  pkgs = {
    formats.yaml = _: { type = lib.types.attrs; generate = name: _: name; };
    berth = null;
  };
  module = import ../module.nix { inherit lib pkgs; config = { }; };
  isOption = v: builtins.isAttrs v && (v._type or null) == "option";
  hidden = name: builtins.substring 0 1 name == "_";

  # walk lists the keys under an attrset of options at path prefix.
  walk = prefix: opts:
    builtins.concatLists (map
      (n:
        let v = opts.${n}; p = if prefix == "" then n else "${prefix}.${n}"; in
        if hidden n then [ ]
        else if isOption v then keysOf p v.type
        else walk p v)
      (builtins.attrNames opts));

  # keysOf lists the keys of an option of type t at path p: records are
  # walked into, anything else is one key.
  keysOf = p: t:
    let elem = t.nestedTypes.elemType or null; in
    if t.name == "nullOr" then keysOf p elem
    else if t.name == "submodule" then walk p (t.getSubOptions [ ])
    else if t.name == "listOf" && elem.name == "submodule" then keysOf "${p}[]" elem
    else if t.name == "attrsOf" && elem.name == "submodule" then keysOf "${p}.<name>" elem
    else [ p ];
in
keysOf "" module.options.services.berth.settings.type
