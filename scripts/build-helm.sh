#!/usr/bin/env bash
# Builds the helm CLI from the Go module proxy into the capstan cache (no release downloads here),
# for the test that renders the generated chart. A second run finds the binary and returns at once.
#
#   scripts/build-helm.sh        build if needed, print the binary path
#
# Environment: CAPSTAN_HELM_VERSION (v3.22.0), CAPSTAN_CACHE_DIR (~/.cache/capstan)
set -euo pipefail

helm_version="${CAPSTAN_HELM_VERSION:-v3.22.0}"
cache_root="${CAPSTAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/capstan}"
bin_dir="$cache_root/tools/helm-$helm_version"
export GOTOOLCHAIN=local CGO_ENABLED=0

if [[ ! -x "$bin_dir/helm" ]]; then
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir/.lock"
  flock 9
  if [[ ! -x "$bin_dir/helm" ]]; then
    printf '[capstan build-helm] building helm %s (a few minutes, once)\n' "$helm_version" >&2
    GOBIN="$bin_dir" nice -n 10 go install -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$helm_version"
  fi
fi
printf '%s\n' "$bin_dir/helm"
