package activate

import "github.com/berth-nix/berth/prebuilt"

// The prebuilt.json format is package prebuilt's; activation reads it
// under these names.

// PrebuiltFile is the file in a host directory that declares a system
// built elsewhere.
const PrebuiltFile = prebuilt.File

// Declaration is the content of PrebuiltFile.
type Declaration = prebuilt.Declaration

// ReadDeclaration reads flakeDir/PrebuiltFile; nil and no error when
// there is none.
func ReadDeclaration(flakeDir string) (*Declaration, error) { return prebuilt.Read(flakeDir) }

// ParseDeclaration decodes and checks the content of PrebuiltFile.
func ParseDeclaration(data []byte) (*Declaration, error) { return prebuilt.Parse(data) }
