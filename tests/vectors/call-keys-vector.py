#!/usr/bin/python3
# Computes the call-key and media-frame test vectors of tests/unit/test-call-keys.c
# and tests/unit/test-media-cipher.c from protocol.md §3-§4 alone, independently
# of Earshot's code and of the libraries it uses (libsodium, GnuTLS):
#   X25519, HKDF-Expand and ChaCha20-Poly1305 from Python's `cryptography`
#   (Debian python3-cryptography, OpenSSL underneath), HKDF-Extract as
#   HMAC-SHA256 from the standard library, SHA-256 from hashlib.
# Usage: call-keys-vector.py   (prints C-ready values)
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def raw_public(private):
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def expand(prk, info, length):
    return HKDFExpand(hashes.SHA256(), length, info).derive(prk)


here = os.path.dirname(os.path.abspath(__file__))
words = open(os.path.join(here, '../../src/engine/data/bip39-english.txt')).read().split()

caller_secret = bytes(range(0x40, 0x60))
callee_secret = bytes(range(0xa0, 0xc0))
caller = X25519PrivateKey.from_private_bytes(caller_secret)
callee = X25519PrivateKey.from_private_bytes(callee_secret)
call_id = '00112233445566778899aabbccddeeff'
offer = ('{"to":"6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa","ephemeral":"%s","codecs":["opus"]}'
         % raw_public(caller).hex())
answer = '{"ephemeral":"%s","codec":"opus"}' % raw_public(callee).hex()

transcript = hashlib.sha256(b'earshot-call-v1\0' + call_id.encode() + b'\0' + offer.encode() +
                            b'\0' + answer.encode()).digest()
shared = caller.exchange(callee.public_key())
assert shared == callee.exchange(caller.public_key())
prk = extract(transcript, shared)
caller_to_callee = expand(prk, b'earshot media caller to callee', 32)
callee_to_caller = expand(prk, b'earshot media callee to caller', 32)
safety = int.from_bytes(expand(extract(b'earshot-safety-v1', transcript), b'words', 8), 'big')
safety_words = [words[(safety >> (64 - 11 * (i + 1))) & 0x7ff] for i in range(5)]

print('caller secret     ', caller_secret.hex())
print('callee secret     ', callee_secret.hex())
print('call id           ', call_id)
print('offer body        ', offer)
print('answer body       ', answer)
print('transcript        ', transcript.hex())
print('caller to callee  ', caller_to_callee.hex())
print('callee to caller  ', callee_to_caller.hex())
print('safety words      ', ' '.join(safety_words))

# Media frames (protocol.md §4) sealed with the caller-to-callee key and a
# ratchet step every 16 frames: sequence 0 (epoch 0) and sequence 17 (epoch 1).
def frame(key, kind, epoch, sequence, timestamp, tier, flags, payload):
    header = struct.pack('>BBQIBB', 1 << 4 | kind, epoch & 0xff, sequence, timestamp, tier, flags)
    nonce = b'\0\0\0\0' + struct.pack('>Q', sequence)
    return header + ChaCha20Poly1305(key).encrypt(nonce, payload, header)


epoch1 = expand(caller_to_callee, b'earshot ratchet', 32)
print('ratchet key 1     ', epoch1.hex())
print('frame seq 0       ', frame(caller_to_callee, 0, 0, 0, 960, 2, 0, b'opus frame zero').hex())
print('frame seq 17      ', frame(epoch1, 0, 1, 17, 17 * 960, 2, 1, b'opus frame 17').hex())
