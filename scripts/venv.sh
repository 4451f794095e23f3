# Sourced by scripts/schemathesis.sh and scripts/mcp.sh.
#
#   ensure_venv DIR SPEC CHECK...
# installs SPEC (a PyPI requirement) into the virtualenv DIR, saying so,
# unless the command CHECK... already succeeds (the venv is ready).
ensure_venv() {
  local venv="$1" spec="$2"
  shift 2
  if ! "$@" >/dev/null 2>&1; then
    echo "installing $spec (PyPI) into $venv..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "$spec"
  fi
}
