"""Ký số: the remote signing service (CSC API, keys in a PKCS#11 token) and verification.

Built in its own issue; it uses the vault only through `vault`'s public services.
"""
