# shellcheck shell=bash
# Entries of a version- or hash-keyed cache directory that concurrent jobs fill at once: each job
# builds into a private staging directory and renames it into place whole, so a reader sees a
# complete entry or none, and the first rename wins. Standalone (no other library): the deploy
# step sources it from a bare platform checkout.
#   staged="$(cache_stage DIR)"              a private directory under DIR to build into
#   cache_publish STAGED DIR/KEY             renames it to DIR/KEY, or drops it if another job won
#   cache_prune DIR DAYS [GLOB]              removes entries (matching GLOB) unused for DAYS days,
#                                            and staging directories a cancelled job left behind
# A reader `touch`es the entry it uses, which is what "unused" is measured by.

cache_stage() {
  mkdir -p "$1"
  mktemp -d "$1/.staged.XXXXXX"
}

cache_publish() {
  mv -T "$1" "$2" 2>/dev/null || rm -rf "$1"
}

cache_prune() {
  find "$1" -mindepth 1 -maxdepth 1 \( -name "${3:-*}" -mtime "+$2" -o -name '.staged.*' -mmin +120 \) \
    -exec rm -rf {} + 2>/dev/null || true
}
