#!/bin/sh
# Computes an identity test vector with OpenSSL alone, independently of
# Earshot's code and of the libraries it uses (GnuTLS HKDF, libsodium Ed25519):
#   Ed25519 seed = HKDF-SHA256(salt empty, IKM seed, info "warzone-ed25519", 32 bytes)
#   public key   = Ed25519 public key of that seed (via a PKCS#8 wrapper)
#   fingerprint  = first 16 bytes of SHA-256(public key), 8 groups of 4 hex
# Usage: identity-vector.sh SEED_HEX   prints: PUBLIC_KEY_HEX FINGERPRINT
set -eu
seed=$1
ed=$(openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt "hexkey:$seed" -kdfopt salt: \
       -kdfopt info:warzone-ed25519 HKDF | tr -d ':' | tr 'A-F' 'a-f')
pk=$(printf '302e020100300506032b657004220420%s' "$ed" | xxd -r -p |
       openssl pkey -inform DER -pubout -outform DER | tail -c 32 | xxd -p -c 64)
fp=$(printf '%s' "$pk" | xxd -r -p | openssl dgst -sha256 -binary | head -c 16 | xxd -p -c 64 |
       sed 's/\(....\)/\1:/g; s/:$//')
echo "$pk $fp"
