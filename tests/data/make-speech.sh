#!/bin/sh
# Makes the speech test signal: espeak-ng's voice, resampled by sox to the
# call's format (48 kHz mono 16-bit). The same espeak-ng and sox give the same
# bytes: espeak-ng has no randomness, sox -R seeds its generators and -D turns
# dither off. Sentence pauses give the silences that drift correction needs.
#
#   make-speech.sh OUT.wav
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
out=$1
voice=$(mktemp --suffix=.wav)
trap 'rm -f "$voice"' EXIT
espeak-ng -v en-us -s 160 -w "$voice" \
  "The quick brown fox jumps over the lazy dog. Earshot calls sound clear on a bad network.\
 Every frame counts, and silence keeps time."
sox -R -D "$voice" -r 48000 -c 1 -b 16 "$out"
