#!/usr/bin/env bash
# `make guides`: every insertion guide's check, each on a stack of its own; ends with
# "N passed, M failed, K skipped" (a script exits 77 when its server is not installed).
cd "$(dirname "$0")/../.."
passed=0 failed=0 skipped=0
run() {
  echo "=== $*"
  env "$@"
  case $? in
    0) passed=$((passed + 1)) ;;
    77) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
}
run bash tests/deploy/syscalls.sh
run bash tests/deploy/prosody-mu-conference.sh
run CAPABLE=1 bash tests/deploy/prosody-mu-conference.sh
run bash tests/deploy/prosody-prosody-muc.sh
run bash tests/deploy/biboumi.sh
run FEATURE_ON=1 bash tests/deploy/biboumi.sh
run bash tests/deploy/ejabberd-mu-conference.sh
run STORE_GROUPCHAT=1 bash tests/deploy/ejabberd-mu-conference.sh
run CAPABLE=1 bash tests/deploy/ejabberd-mu-conference.sh
run CAPABLE=1 STORE_GROUPCHAT=1 bash tests/deploy/ejabberd-mu-conference.sh
run bash tests/deploy/ejabberd-push.sh
run CAPABLE=1 bash tests/deploy/ejabberd-push.sh
run HIBERNATED=1 bash tests/deploy/ejabberd-push.sh
run HIBERNATED=1 CAPABLE=1 bash tests/deploy/ejabberd-push.sh
run DELIVERY=notice bash tests/deploy/ejabberd-push.sh
run HIBERNATED=1 DELIVERY=notice bash tests/deploy/ejabberd-push.sh
run DELIVERY=auto bash tests/deploy/ejabberd-push.sh
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[[ $failed -eq 0 ]]
