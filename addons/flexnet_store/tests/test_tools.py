import base64

from odoo.tests import BaseCase, tagged

from ..tools import digest, new_secret, same, signature


@tagged("post_install", "-at_install")
class TestSecretsAndDigests(BaseCase):
    def test_digest_is_sha256_hex(self):
        self.assertEqual(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

    def test_signature_is_hmac_sha256_urlsafe_base64_unpadded(self):
        mac = bytes.fromhex("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
        expected = base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
        self.assertEqual(signature("key", "The quick brown fox jumps over the lazy dog"), expected)
        self.assertNotIn("=", expected)

    def test_new_secrets_are_random_and_url_safe(self):
        secrets = {new_secret() for _i in range(20)}
        self.assertEqual(len(secrets), 20)
        for secret in secrets:
            self.assertEqual(len(secret), 43)  # 32 random bytes
            self.assertRegex(secret, r"^[A-Za-z0-9_-]+$")
        self.assertEqual(len(new_secret(16)), 22)

    def test_same_compares_strings_only(self):
        self.assertTrue(same("abc", "abc"))
        self.assertFalse(same("abc", "abd"))
        self.assertFalse(same("abc", "ab"))
        self.assertFalse(same("abc", "äbc"))  # no TypeError on text that is not ASCII
        self.assertFalse(same("abc", "\udcff"))
        for given in (None, b"abc", ["abc"], 0):
            self.assertFalse(same("abc", given), given)
        self.assertFalse(same(None, "abc"))
