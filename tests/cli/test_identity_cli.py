#!/usr/bin/python3
"""earshot-cli identity, as a user runs it (DESIGN §8, §10.4)."""
import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import unittest

CLI = os.environ["EARSHOT_CLI"]
VECTOR_SCRIPT = os.path.join(os.environ["EARSHOT_TEST_DATA"], "vectors", "identity-vector.sh")
FINGERPRINT = re.compile(r"^[0-9a-f]{4}(:[0-9a-f]{4}){7}$")


class IdentityCli(unittest.TestCase):
    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="earshot-cli-")
        self.addCleanup(shutil.rmtree, self.home)

    def run_cli(self, *args, home=None, env=None, stdin=None):
        environment = dict(os.environ, EARSHOT_HOME=home or self.home)
        environment.pop("EARSHOT_PASSPHRASE_FILE", None)
        environment.update(env or {})
        return subprocess.run([CLI, *args], capture_output=True, text=True, env=environment,
                              input=stdin if stdin is not None else "", timeout=60)

    def identity_path(self, home=None):
        return os.path.join(home or self.home, "identity")

    def write_secret(self, name, text):
        path = os.path.join(self.home, name)
        with open(path, "w") as f:
            f.write(text + "\n")
        return path

    def create(self, *args):
        run = self.run_cli("identity", "create", *args)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout.strip()

    def show_json(self, home=None, env=None):
        run = self.run_cli("identity", "show", "--json", home=home, env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        return json.loads(run.stdout)

    def test_create_and_show(self):
        address = self.create()
        self.assertRegex(address, FINGERPRINT)
        mode = stat.S_IMODE(os.stat(self.identity_path()).st_mode)
        self.assertEqual(mode, 0o600)

        shown = self.show_json()
        self.assertEqual(shown["fingerprint"], address)
        self.assertRegex(shown["public_key"], r"^[0-9a-f]{64}$")
        self.assertRegex(shown["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
        self.assertIs(shown["protected"], False)

        text = self.run_cli("identity", "show")
        self.assertEqual(text.returncode, 0)
        self.assertIn(address, text.stdout)

    def test_create_refuses_to_replace(self):
        address = self.create()
        with open(self.identity_path()) as f:
            before = f.read()
        run = self.run_cli("identity", "create")
        self.assertEqual(run.returncode, 1)
        self.assertIn("--force", run.stderr)
        with open(self.identity_path()) as f:
            self.assertEqual(f.read(), before)

        replaced = self.create("--force")
        self.assertNotEqual(replaced, address)
        kept = [n for n in os.listdir(self.home) if n.startswith("identity.replaced-")]
        self.assertEqual(len(kept), 1)
        with open(os.path.join(self.home, kept[0])) as f:
            self.assertEqual(f.read(), before)

    def test_mnemonic_round_trip(self):
        address = self.create()
        run = self.run_cli("identity", "export-mnemonic")
        self.assertEqual(run.returncode, 0, run.stderr)
        words = run.stdout.rstrip("\n")
        self.assertEqual(len(words.split(" ")), 24)
        self.assertNotIn("  ", words)

        other = os.path.join(self.home, "other")
        run = self.run_cli("identity", "import", "--mnemonic", words, home=other)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), address)
        self.assertEqual(self.show_json(home=other)["fingerprint"], address)

        # From standard input, so the words need not appear in the process list.
        third = os.path.join(self.home, "third")
        run = self.run_cli("identity", "import", "--mnemonic", "-", home=third, stdin=words + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), address)

    def test_wrong_word_reported_with_position(self):
        words = ("legal winner thank year wave sausage worth useful legal winner thank year "
                 "wave sausage worth useful legal winner thank yaer wave sausage worth title")
        run = self.run_cli("identity", "import", "--mnemonic", words)
        self.assertEqual(run.returncode, 1)
        self.assertIn("word 20", run.stderr)
        self.assertIn("yaer", run.stderr)
        self.assertFalse(os.path.exists(self.identity_path()))

        swapped = ("winner legal thank year wave sausage worth useful legal winner thank year "
                   "wave sausage worth useful legal winner thank year wave sausage worth title")
        run = self.run_cli("identity", "import", "--mnemonic", swapped)
        self.assertEqual(run.returncode, 1)
        self.assertIn("checksum", run.stderr)

    def test_import_hex(self):
        seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        run = self.run_cli("identity", "import", "--hex", seed)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.strip(), "6871:1211:0e91:ecb3:09f6:6f51:d257:ccaa")

        run = self.run_cli("identity", "import", "--hex", seed[:-2], home=os.path.join(self.home, "x"))
        self.assertEqual(run.returncode, 1)
        self.assertIn("64 hex digits", run.stderr)

        run = self.run_cli("identity", "import", "--hex", "ff" * 32)
        self.assertEqual(run.returncode, 1)
        self.assertIn("--force", run.stderr)

    def test_derivation_matches_openssl(self):
        """Cross-checks random seeds against an implementation with OpenSSL alone."""
        for _ in range(5):
            seed = secrets.token_hex(32)
            home = tempfile.mkdtemp(dir=self.home)
            run = self.run_cli("identity", "import", "--hex", seed, home=home)
            self.assertEqual(run.returncode, 0, run.stderr)
            reference = subprocess.run(["sh", VECTOR_SCRIPT, seed], capture_output=True,
                                       text=True, check=True, timeout=30).stdout.split()
            shown = self.show_json(home=home)
            self.assertEqual(shown["public_key"], reference[0])
            self.assertEqual(shown["fingerprint"], reference[1])

    def test_passphrase(self):
        good = self.write_secret("pass", "correct horse battery staple")
        bad = self.write_secret("wrong", "incorrect horse")
        address = self.create("--passphrase-file", good)

        with open(self.identity_path()) as f:
            self.assertNotIn('"seed"', f.read())

        run = self.run_cli("identity", "show", "--json")
        self.assertEqual(run.returncode, 1)
        self.assertIn("EARSHOT_PASSPHRASE_FILE", run.stderr)

        run = self.run_cli("identity", "show", env={"EARSHOT_PASSPHRASE_FILE": bad})
        self.assertEqual(run.returncode, 1)
        self.assertIn("wrong passphrase", run.stderr)
        self.assertIn(self.identity_path(), run.stderr)

        shown = self.show_json(env={"EARSHOT_PASSPHRASE_FILE": good})
        self.assertEqual(shown["fingerprint"], address)
        self.assertIs(shown["protected"], True)

    def test_damaged_file_is_reported_and_kept(self):
        self.create()
        with open(self.identity_path()) as f:
            text = f.read()
        damaged = text[: len(text) // 2]
        with open(self.identity_path(), "w") as f:
            f.write(damaged)
        for command in (["identity", "show"], ["identity", "export-mnemonic"]):
            run = self.run_cli(*command)
            self.assertEqual(run.returncode, 1)
            self.assertIn(self.identity_path(), run.stderr)
            self.assertIn("damaged", run.stderr)
        with open(self.identity_path()) as f:
            self.assertEqual(f.read(), damaged)

    def test_no_identity_yet(self):
        run = self.run_cli("identity", "show")
        self.assertEqual(run.returncode, 1)
        self.assertIn("identity create", run.stderr)

    def test_usage_errors_exit_2(self):
        for args in ([], ["bogus"], ["identity"], ["identity", "bogus"],
                     ["identity", "show", "--bogus"], ["identity", "import"],
                     ["identity", "import", "--hex", "00", "--mnemonic", "abandon"],
                     ["identity", "show", "extra"]):
            run = self.run_cli(*args)
            self.assertEqual(run.returncode, 2, f"{args}: {run.stderr}")
            self.assertTrue(run.stderr.strip(), args)

    def test_help_and_version(self):
        for args in (["--help"], ["identity", "--help"], ["identity", "import", "--help"]):
            run = self.run_cli(*args)
            self.assertEqual(run.returncode, 0, args)
            self.assertIn("Usage", run.stdout)
        run = self.run_cli("--version")
        self.assertEqual(run.returncode, 0)
        self.assertRegex(run.stdout, r"^earshot-cli \d+\.\d+\.\d+")


if __name__ == "__main__":
    unittest.main(verbosity=2)
