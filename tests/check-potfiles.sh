#!/bin/sh
# Every source file with translatable strings must be listed in data/po/POTFILES,
# and every listed file must exist, so that translators see every message.
cd "${1:?usage: check-potfiles.sh SOURCE_ROOT}" || exit 2
status=0
for f in $(git ls-files 'src/*.c' 'ca/*.c' 'ui/*.ui' 2>/dev/null); do
  if grep -q '_("\|translatable="yes"' "$f" && ! grep -qx "$f" data/po/POTFILES; then
    echo "$f has translatable strings but is not in data/po/POTFILES"
    status=1
  fi
done
while read -r f; do
  [ -z "$f" ] || [ -e "$f" ] || { echo "data/po/POTFILES lists $f, which does not exist"; status=1; }
done < data/po/POTFILES
exit $status
