#!/usr/bin/env bash
# Contract governance: `buf lint` (STANDARD rules) on protos/, and `buf breaking` (FILE rules)
# against the protos of the baseline commit in .ci/contracts-baseline, so a breaking change to a v1
# package fails the test command. Installs the buf CLI from the npm registry (@bufbuild/buf) into
# ~/.cache/manufacturing-tools on first use. The google/api and google/type imports resolve from
# the Google.Api.CommonProtos NuGet package that the build restores.
# Prints one line per check ("contract check passed|failed: …") and exits non-zero on a failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
buf_version=1.75.0
tools="${MFG_TOOLS_DIR:-$HOME/.cache/manufacturing-tools}"
buf="$tools/node_modules/.bin/buf"
if [ ! -x "$buf" ] || [ "$("$buf" --version 2>/dev/null)" != "$buf_version" ]; then
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent "@bufbuild/buf@$buf_version" >&2
fi

commonprotos_version=$(sed -n 's/.*Include="Google.Api.CommonProtos" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")
googleapis="${NUGET_PACKAGES:-$HOME/.nuget/packages}/google.api.commonprotos/$commonprotos_version/content/protos"
if [ ! -d "$googleapis" ]; then
  echo "error: $googleapis is missing; restore the solution first (dotnet restore Microservices.sln)" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
workspace() { # DIR PROTOS: a buf workspace whose module `protos` is PROTOS, with the Google protos beside it
  mkdir -p "$1"
  ln -s "$2" "$1/protos"
  ln -s "$googleapis" "$1/third_party"
  cat >"$1/buf.yaml" <<'YAML'
version: v2
modules:
  - path: protos
  - path: third_party
lint:
  use: [STANDARD]
breaking:
  use: [FILE]
YAML
}

status=0
workspace "$work/current" "$root/protos"
if (cd "$work/current" && "$buf" lint protos); then
  echo "contract check passed: buf lint"
else
  echo "contract check failed: buf lint"; status=1
fi

baseline=$(grep -v '^#' "$root/.ci/contracts-baseline" | head -1 | tr -d '[:space:]')
if git -C "$root" cat-file -e "$baseline^{commit}" 2>/dev/null; then
  mkdir -p "$work/baseline-src"
  git -C "$root" archive "$baseline" protos | tar -x -C "$work/baseline-src"
  workspace "$work/baseline" "$work/baseline-src/protos"
  if (cd "$work/current" && "$buf" breaking protos --against "$work/baseline/protos"); then
    echo "contract check passed: buf breaking against ${baseline:0:12}"
  else
    echo "contract check failed: buf breaking against ${baseline:0:12} (a v1 contract changed incompatibly)"; status=1
  fi
else
  echo "contract check failed: baseline commit ${baseline:0:12} is not in this clone's history (a shallow clone?)"; status=1
fi
exit "$status"
