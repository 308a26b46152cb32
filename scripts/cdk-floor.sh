#!/usr/bin/env bash
# A lower bound for the aws-cdk-lib floor: for each version given (or every 2.x release from
# --from), downloads its tarball (npm pack, --prefer-offline), compiles lib/ with tsc against it
# outside the repository, and prints ok/FAIL with the first error. Types are not behaviour: the
# floor in .projenrc.ts (CDK_MIN_VERSION) must also pass scripts/consumer-check.sh, which
# synthesizes an app with it (2.252.0 type-checks but throws at synth; 2.269.0 is the floor).
#
#   scripts/cdk-floor.sh 2.251.0 2.252.0          # these versions
#   scripts/cdk-floor.sh --from 2.245.0           # every 2.x release from 2.245.0, oldest first
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cdk-floor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

versions=("$@")
if [ "${1:-}" = "--from" ]; then
  versions=($(npm view aws-cdk-lib versions --json | node -e '
    const from = process.argv[1].split(".").map(Number);
    const newer = v => { const p = v.split(".").map(Number); for (let i = 0; i < 3; i++) if (p[i] !== from[i]) return p[i] > from[i]; return true; };
    const all = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log(all.filter(v => /^2\.\d+\.\d+$/.test(v) && newer(v)).join(" "));' "$2"))
fi
[ ${#versions[@]} -gt 0 ] || { echo "usage: $0 <version>... | --from <version>" >&2; exit 2; }

for v in "${versions[@]}"; do
  dir="$WORK/$v"
  mkdir -p "$dir/node_modules/aws-cdk-lib" "$dir/node_modules/@types"
  (cd "$WORK" && npm pack "aws-cdk-lib@$v" --prefer-offline --silent >/dev/null)
  tar xzf "$WORK/aws-cdk-lib-$v.tgz" -C "$dir/node_modules/aws-cdk-lib" --strip-components=1
  ln -s "$ROOT/node_modules/constructs" "$dir/node_modules/constructs"
  ln -s "$ROOT/node_modules/@types/node" "$dir/node_modules/@types/node"
  cp -r "$ROOT/lib" "$dir/lib"
  cat > "$dir/tsconfig.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "skipLibCheck": true, "target": "ES2022", "lib": ["es2022"],
  "module": "node16", "types": ["node"], "esModuleInterop": true, "resolveJsonModule": true, "experimentalDecorators": true },
  "include": ["lib/**/*.ts"] }
JSON
  if (cd "$dir" && "$ROOT/node_modules/.bin/tsc" -p . > tsc.out 2>&1); then
    echo "aws-cdk-lib $v: ok"
  else
    echo "aws-cdk-lib $v: FAIL ($(grep -c 'error TS' "$dir/tsc.out") errors) $(grep -m1 'error TS' "$dir/tsc.out")"
  fi
  rm -rf "$dir" "$WORK/aws-cdk-lib-$v.tgz"
done
