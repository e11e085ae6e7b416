# Just enough of nixpkgs' lib to read the option declarations of
# ../module.nix where nixpkgs is not available (CI, offline machines).
# Options and types keep the attributes option-keys.nix walks: _type,
# type.name, type.nestedTypes.elemType and type.getSubOptions. A module
# that uses something missing here fails loudly: add it.
let
  leaf = name: { inherit name; };
  wrap = name: elemType: { inherit name; nestedTypes = { inherit elemType; }; };
  types = {
    str = leaf "str";
    bool = leaf "bool";
    int = leaf "int";
    port = leaf "port";
    path = leaf "path";
    package = leaf "package";
    attrs = leaf "attrs";
    lines = leaf "lines";
    ints = { positive = leaf "positiveInt"; unsigned = leaf "unsignedInt"; };
    strMatching = _: leaf "strMatching";
    enum = _: leaf "enum";
    nullOr = wrap "nullOr";
    listOf = wrap "listOf";
    attrsOf = wrap "attrsOf";
    either = a: _: a;
    oneOf = ts: builtins.head ts;
    submodule = m: {
      name = "submodule";
      getSubOptions = _: (if builtins.isFunction m then m { lib = stub; name = "<name>"; config = { }; } else m).options or { };
    };
  };
  stub = {
    inherit types;
    mkOption = args: args // { _type = "option"; };
    mkEnableOption = description: { _type = "option"; type = types.bool; inherit description; };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    mkIf = cond: content: { _type = "if"; inherit cond content; };
    mkDefault = v: v;
  };
in
stub
