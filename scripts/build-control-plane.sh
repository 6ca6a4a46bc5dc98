#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and etcd from the Go module proxy into a cache
# outside the repository, keyed by version. A second run finds the binaries and returns at once;
# concurrent callers wait on a lock so only one of them builds.
#
#   scripts/build-control-plane.sh          build if needed, print the binary directory
#
# Environment: CAPSTAN_K8S_VERSION (v1.36.3), CAPSTAN_ETCD_VERSION (v3.6.8),
#              CAPSTAN_CACHE_DIR (~/.cache/capstan)
set -euo pipefail

k8s_version="${CAPSTAN_K8S_VERSION:-v1.36.3}"
etcd_version="${CAPSTAN_ETCD_VERSION:-v3.6.8}"
cache_root="${CAPSTAN_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/capstan}"
bin_dir="$cache_root/control-plane/k8s-$k8s_version-etcd-$etcd_version"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

say() { printf '[capstan build-control-plane] %s\n' "$*" >&2; }
fail() { say "error: $*"; exit 1; }

complete() { [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/kube-controller-manager" && -x "$bin_dir/etcd" ]]; }

# The release's go.mod requires every staging module at v0.0.0, which the proxy does not serve;
# a dependency's replace lines are ignored, so the wrapper module must pin each one itself.
write_kube_wrapper() {
  local dir="$1" gomod="$2" staging="v0.${k8s_version#v1.}"
  {
    printf 'module local.invalid/capstan-kube\n\n'
    grep -m1 '^go ' "$gomod"
    grep '^godebug ' "$gomod" || true
    printf '\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$k8s_version"
    awk -v v="$staging" '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { printf "\t%s => %s %s\n", $1, $1, v }' "$gomod" | sort -u
    printf ')\n'
  } >"$dir/go.mod"
}

version_ldflags() {
  local commit="$1" minor pkg flags="-s -w" built
  minor="$(cut -d. -f2 <<<"$k8s_version")"
  built="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X '$pkg.gitVersion=$k8s_version' -X '$pkg.gitMajor=1' -X '$pkg.gitMinor=$minor'"
    flags+=" -X '$pkg.gitCommit=$commit' -X '$pkg.gitTreeState=clean' -X '$pkg.buildDate=$built'"
  done
  printf '%s' "$flags"
}

build_kube() {
  local dir info gomod commit
  dir="$(mktemp -d)"
  info="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$k8s_version")" \
    || fail "the Go module proxy did not serve k8s.io/kubernetes@$k8s_version"
  gomod="$(jq -r .GoMod <<<"$info")"
  commit="$(jq -r '.Origin.Hash // "unknown"' <<<"$info")"
  write_kube_wrapper "$dir" "$gomod"
  (cd "$dir" && go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$k8s_version" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$k8s_version") || fail "go get of kubernetes $k8s_version failed"
  (cd "$dir" && go build -trimpath -tags=notest,grpcnotrace -ldflags="$(version_ldflags "$commit")" -o "$bin_dir/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager) || fail "go build of kubernetes failed"
  rm -rf "$dir"
}

build_etcd() {
  local dir
  dir="$(mktemp -d)"
  printf 'module local.invalid/capstan-etcd\n\ngo 1.24.0\n' >"$dir/go.mod"
  (cd "$dir" && go get -tool "go.etcd.io/etcd/server/v3@$etcd_version" \
    && go build -trimpath -ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_version" \
      -o "$bin_dir/etcd" go.etcd.io/etcd/server/v3) || fail "go build of etcd $etcd_version failed"
  rm -rf "$dir"
}

if ! complete; then
  command -v go >/dev/null || fail "Go is not installed: the local control plane is built from source with Go >= 1.26"
  command -v jq >/dev/null || fail "jq is not installed (apt-get install jq)"
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir.lock"
  flock 9
  if ! complete; then
    start=$SECONDS
    [[ -x "$bin_dir/etcd" ]] || { say "building etcd $etcd_version"; build_etcd; }
    [[ -x "$bin_dir/kube-apiserver" && -x "$bin_dir/kube-controller-manager" ]] \
      || { say "building kubernetes $k8s_version (slow, once per version)"; build_kube; }
    say "built in $((SECONDS - start)) s"
  fi
  exec 9>&-
fi
printf '%s\n' "$bin_dir"
